"""`gatescan run`: the gate window (kiosk, camera or video, demo), as a click command.

The tech lead registers `run` on the `gatescan` group; `python -m scanner.ui run`
works on its own meanwhile.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import click

from scanner.actuators.commands import RELAY_HELP, relay_settings
from scanner.camera.profile import DEFAULT_PROFILE, PROFILES, ProfileName
from scanner.settings import ScannerSettings
from scanner.ui.translations import LANGUAGES

log = logging.getLogger(__name__)
STALE_DEMO_S = 25.0  # codes rotate every 30 s with one step of tolerance


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
@click.option("--demo", is_flag=True,
              help="Demo: with --video, play a video made by scanner.ui.demo_video against "
                   "this gate's ledger; alone, build a throw-away demo event, gate and video.")
@click.option("--demo-issuer", type=click.Path(file_okay=False, path_type=Path),
              help="With --demo: the data directory of a running `gatescan-server serve`.")
@click.option("--demo-server", metavar="URL",
              help="With --demo and --demo-issuer: enroll the demo gate with this server "
                   "(e.g. http://127.0.0.1:8080), so it syncs.")
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
        gate: str | None, direction: str | None, lang: str | None, demo: bool,
        demo_issuer: Path | None, demo_server: str | None, no_sound: bool,
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
    from scanner.ui.screen_check import display_problem  # no Qt: safe without a display

    problem = display_problem()
    if problem is not None:
        click.echo(f"gatescan: {problem}.", err=True)
        sys.exit(2)
    enrolled_demo = demo and demo_issuer is not None and demo_server is not None
    from scanner.cli import check_gate_option
    from scanner.ui.options import UiOptions  # Qt loads here, not for `gatescan --help`
    from scanner.ui.run import Launch, run_app
    from scanner.ui.sync_link import find_sync

    def options_for(video: Path | None, gate: str | None) -> UiOptions:
        return UiOptions(kiosk=kiosk, camera=camera, video=video, loop=loop, gate=gate,
                         direction=direction, language=lang, demo=demo, sound=not no_sound,
                         preview_fps=preview_fps, announce_ready=announce_ready,
                         relay=turnstile, undo_window=undo_window,
                         camera_profile=camera_profile)

    if demo and (enrolled_demo or video is None):
        from scanner.ui import demo_setup

        # `--data` given: the demo's gate data goes there, else into a new temp folder.
        data_given = ctx.find_root().params.get("data") is not None
        gate_dir = settings.data_dir if data_given else None

        def prepare() -> Launch:
            if enrolled_demo:
                assert demo_issuer is not None and demo_server is not None
                log.info("enrolling a demo gate with %s", demo_server)
                plan = demo_setup.prepare_enrolled_demo(demo_issuer, demo_server,
                                                        gate_dir=gate_dir)
            else:
                plan = demo_setup.prepare_demo(gate_dir=gate_dir)
            ready = ScannerSettings.build(plan.gate_dir)
            chosen = check_gate_option(ready, gate) if gate is not None else plan.gate
            service, enroller = find_sync(ready) if enrolled_demo else (None, None)
            return Launch(ready, options_for(plan.video, chosen), service, enroller)

        click.echo("Preparing the demo: issuer, gate ledger and phone video "
                   f"(manager PIN {demo_setup.DEMO_PIN})…", err=True)
        sys.exit(run_app(settings, options_for(None, gate), started=started,
                         prepare=prepare, demo_pin=demo_setup.DEMO_PIN))
    if demo:
        gate = _demo_video_gate(video, gate)
    if gate is not None:
        gate = check_gate_option(settings, gate)  # a gate the event lacks: exit 2
    options = options_for(video, gate)
    service, enroller = (None, None) if demo else find_sync(settings)
    sys.exit(run_app(settings, options, sync_service=service, enroller=enroller,
                     started=started))


def _set_pin(settings: ScannerSettings) -> None:
    from scanner.ui.ui_settings import UiSettings

    pin = click.prompt("New manager PIN", hide_input=True, confirmation_prompt=True)
    ui = UiSettings.load(settings.data_dir)
    try:
        ui.set_pin(pin)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="PIN") from None
    ui.save()
    click.echo(f"Manager PIN saved in {ui.path}")


def _demo_video_gate(video: Path | None, gate: str | None) -> str | None:
    """`--demo --video FILE`: the gate the video was made for (warns when it is stale)."""
    from scanner.ui import demo_video

    info = demo_video.read_sidecar(video) if video is not None else None
    if info is None or video is None:
        return gate
    late = time.time() - float(info.get("start_at", 0))
    if late > STALE_DEMO_S:
        click.echo(f"warning: {video.name} was made {late:.0f} s ago; its codes have expired "
                   "(make a fresh one with python -m scanner.ui.demo_video)", err=True)
    return gate or str(info.get("gate") or "") or None
