"""`gatescan run`: the gate window (kiosk, camera or video), as a click command.

The tech lead registers `run` on the `gatescan` group; `python -m gatescan.gate.ui run`
works on its own meanwhile.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import click

from gatescan.gate.actuators.commands import RELAY_HELP, relay_settings
from gatescan.gate.camera.profile import DEFAULT_PROFILE, PROFILES, ProfileName
from gatescan.gate.settings import ScannerSettings
from gatescan.gate.ui.translations import LANGUAGES

log = logging.getLogger(__name__)


def _settings(ctx: click.Context) -> ScannerSettings:
    found = ctx.find_object(ScannerSettings)
    return found if found is not None else ScannerSettings.build(None)


@click.command("run")
@click.option("--kiosk", is_flag=True,
              help="Full screen, no window frame, no cursor; closing needs the manager PIN.")
@click.option("--camera", metavar="INDEX|PATH",
              help="Camera index, /dev/video path, stream URL or GStreamer pipeline.")
@click.option("--video", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Play this video file as the camera.")
@click.option("--camera-profile", type=click.Choice(PROFILES), default=DEFAULT_PROFILE,
              show_default=True,
              help="phone: short exposure and more gain where the camera allows (less motion "
                   "blur on phone screens); auto: leave exposure, gain and focus to the camera.")
@click.option("--loop", is_flag=True, help="Replay --video from the start when it ends.")
@click.option("--gate", metavar="NAME", help="Gate name (default: the one chosen in set-up).")
@click.option("--direction", type=click.Choice(["entry", "exit"]),
              help="Scan people in or out (default: the one chosen in set-up).")
@click.option("--lang", type=click.Choice(LANGUAGES),
              help="Interface language (default: from the system locale).")
@click.option("--no-sound", is_flag=True, help="No verdict sounds.")
@click.option("--preview-fps", type=click.FloatRange(0, 60), default=30.0, show_default=True,
              help="Camera preview frame rate (lower it on slow devices).")
@click.option("--relay", metavar="SPEC", help=RELAY_HELP)
@click.option("--pulse-ms", type=int, default=500, show_default=True,
              help="How long the relay stays closed per admission (50 to 10000 ms).")
@click.option("--passed-pin", type=int, metavar="PIN",
              help="BCM GPIO of the turnstile's 'passed' contact (to GND, internal pull-up).")
@click.option("--passed-timeout", type=float, default=10.0, show_default=True,
              help="With --passed-pin: undo an admission with no passage after this many "
                   "seconds (1 to 120).")
@click.option("--undo-window", type=click.FloatRange(10, 3600), default=300.0,
              show_default=True,
              help="Seconds during which a supervisor may undo an admission or admit a "
                   "refusal anyway.")
@click.option("--set-pin", is_flag=True, help="Set the manager PIN on the terminal, then exit.")
@click.option("--announce-ready", is_flag=True, hidden=True,
              help="Print 'READY <seconds>' when ready to scan (the bench uses it).")
@click.pass_context
def run(ctx: click.Context, kiosk: bool, camera: str | None, video: Path | None,
        camera_profile: ProfileName, loop: bool,
        gate: str | None, direction: str | None, lang: str | None, no_sound: bool,
        preview_fps: float, relay: str | None, pulse_ms: int, passed_pin: int | None,
        passed_timeout: float, undo_window: float, set_pin: bool,
        announce_ready: bool) -> None:
    """Open the gate scanner window."""
    started = time.perf_counter()
    settings = _settings(ctx)
    turnstile = relay_settings(relay, pulse_ms, passed_pin, passed_timeout)
    if passed_pin is not None and passed_timeout >= undo_window:
        raise click.UsageError("--passed-timeout must be shorter than --undo-window: an "
                               "admission nobody used is undone after the timeout")
    if set_pin:
        _set_pin(settings)
        return
    from gatescan.gate.ui.screen_check import display_problem  # no Qt: safe without a display

    problem = display_problem()
    if problem is not None:
        click.echo(f"gatescan: {problem}.", err=True)
        sys.exit(2)
    from gatescan.gate.cli import check_gate_option
    from gatescan.gate.ui.kinds import Direction
    from gatescan.gate.ui.options import UiOptions  # Qt loads here, not for `gatescan --help`
    from gatescan.gate.ui.run import run_app
    from gatescan.gate.ui.sync_link import find_sync

    if gate is not None:
        gate = check_gate_option(settings, gate)  # a gate the event lacks: exit 2
    options = UiOptions(kiosk=kiosk, camera=camera, video=video, loop=loop, gate=gate,
                        direction=Direction.of(direction) if direction else None,
                        language=lang, sound=not no_sound,
                        preview_fps=preview_fps, announce_ready=announce_ready,
                        relay=turnstile, undo_window=undo_window,
                        camera_profile=camera_profile)
    service, enroller = find_sync(settings)
    sys.exit(run_app(settings, options, sync_service=service, enroller=enroller,
                     started=started))


def _set_pin(settings: ScannerSettings) -> None:
    from gatescan.gate.ui.ui_settings import UiSettings

    pin = click.prompt("New manager PIN", hide_input=True, confirmation_prompt=True)
    ui = UiSettings.load(settings.data_dir)
    try:
        ui.set_pin(pin)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="PIN") from None
    ui.save()
    click.echo(f"Manager PIN saved in {ui.path}")
