"""`gatescan-demo`: the demo event, its simulated phones, and a demo gate window.

Nothing here is production: `gatescan-server` and `gatescan` never import this room.
The simulated phones keep their holder keys in DATA/wallet.db, apart from the issuer's
database, so a real event's data directory never holds a demo phone.

Exit status: 0 on success, 2 on a usage or environment error (reason on stderr).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from gatescan.demo import event as demo_mod
from gatescan.demo.phones import Wallet
from gatescan.gate.settings import ScannerSettings
from gatescan.gate.ui.translations import LANGUAGES
from gatescan.protocol.cli_params import UNIX_TIME
from gatescan.protocol.token import MAX_TYPED_TIME, format_ticket_id
from gatescan.server import issuer
from gatescan.server.cli_common import (
    TICKET_ID,
    CliError,
    ServerGroup,
    configure_logging,
    emit,
    emit_transfer,
    progress_bar,
    republish,
    require_event,
)
from gatescan.server.entropy import Entropy, SeededEntropy, SystemEntropy
from gatescan.server.settings import ServerSettings, load_settings
from gatescan.server.store import IssuerStore

STALE_DEMO_S = 25.0  # codes rotate every 30 s with one step of tolerance


@click.group(cls=ServerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, metavar="DIR",
              help="The server's data directory [default: $GATESCAN_SERVER_DATA, else the "
                   "user data dir]; the simulated phones live in DIR/wallet.db.")
@click.option("--database-url", default=None, metavar="URL",
              help="SQLAlchemy URL of the issuer database [default: $GATESCAN_DATABASE_URL, "
                   "else DIR/issuer.db].")
@click.option("-v", "--verbose", count=True, help="Log progress to stderr (-vv: debug).")
@click.version_option(package_name="gatescan", prog_name="gatescan-demo")
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None, database_url: str | None,
         verbose: int) -> None:
    """GateScan demo: a demo event with simulated phones, their codes, a demo gate window."""
    configure_logging(verbose, "gatescan")  # the demo runs gate and server code alike
    ctx.obj = load_settings(data_dir, database_url=database_url)


@contextmanager
def _open(settings: ServerSettings) -> Iterator[tuple[IssuerStore, Wallet]]:
    with IssuerStore.open(settings) as store, Wallet(settings.wallet_path) as wallet:
        yield store, wallet


@main.command()
@click.option("--tickets", type=click.IntRange(demo_mod.MIN_TICKETS, demo_mod.MAX_TICKETS),
              default=None, help=f"How many tickets [default: {demo_mod.DEFAULT_TICKETS}].")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=None,
              help="Derive every id and key from this number: reproducible, NOT secret.")
@click.option("--at", type=UNIX_TIME, default=None,
              help="Create the event as if now were UNIX_TIME (validity, time slot).")
@click.option("--new", is_flag=True, help="Create another demo event even if one exists.")
@click.pass_obj
def event(settings: ServerSettings, tickets: int | None, as_json: bool, seed: int | None,
          at: float | None, new: bool) -> None:
    """Create the demo event, its tickets and their simulated phones.

    The event "GateScan Demo Night" has gates Gate 1 and Gate 2 (zone main) and
    VIP Gate (zone vip), and six ticket types: early bird, VIP (zones vip+main),
    group of 4, a time slot around now, a 3-day pass (per day), re-entry. One
    ticket is revoked (refund) and one transferred (its old credential is
    superseded). The signed manifest goes to DATA/manifests/EVENT_ID.gsm.

    Idempotent: when the data directory already has a demo event, it is reused
    and described again ("created": false), unless --new; asking for other
    --tickets/--seed/--at than it was made with is an error (exit 2).
    """
    when = None if at is None else int(at)
    if when is not None and not demo_mod.DAY <= when <= MAX_TYPED_TIME - 3 * demo_mod.DAY:
        raise click.BadParameter("too close to the ends of the u32 time range", param_hint="--at")
    with _open(settings) as (store, wallet), store.transaction():
        # One transaction from the check to the end: two concurrent runs make one event.
        existing = None if new else store.latest_event("demo")
        if existing is not None and existing.demo is not None:
            stored = existing.demo["params"]
            asked = {"tickets": tickets, "seed": seed, "at": when}
            clash = [k for k, v in asked.items() if v is not None and v != stored.get(k)]
            if clash:
                raise CliError(
                    f"this data directory already has demo event {existing.event_id} "
                    f"(tickets={stored['tickets']}, seed={stored['seed']}, at={stored['at']}); "
                    f"--{clash[0]} differs: add --new for another demo event, "
                    "or use another --data directory")
            if not settings.manifest_path(existing.event_id).exists():
                issuer.write_manifest(store, existing.event_id,
                                      settings.manifest_path(existing.event_id))
            made, created = store.event(existing.event_id) or existing, False
        else:
            entropy: Entropy = SystemEntropy() if seed is None else SeededEntropy(seed)
            params = demo_mod.DemoParams(tickets or demo_mod.DEFAULT_TICKETS, seed, when)
            with progress_bar(params.tickets, "issuing tickets") as progress:
                made = demo_mod.create_demo(store, wallet, settings, params, entropy=entropy,
                                            now=int(time.time()) if when is None else when,
                                            progress=progress)
            created = True
        report = demo_mod.demo_report(store, settings, made, created=created)
    emit(as_json, report, demo_mod.format_demo_report(report))


@main.command()
@click.argument("ticket_id", type=TICKET_ID)
@click.option("--at", type=UNIX_TIME, default=None,
              help="Show the code of this moment [default: now].")
@click.option("--old", is_flag=True,
              help="The superseded credential (the phone from before the last transfer).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def token(settings: ServerSettings, ticket_id: int, at: float | None, old: bool,
          as_json: bool) -> None:
    """Print the rotating code the ticket's simulated phone shows at a moment."""
    hex_id = format_ticket_id(ticket_id)
    with _open(settings) as (store, wallet):
        require_event(store)
        ticket = store.ticket(ticket_id)
        if ticket is None:
            raise CliError(f"unknown ticket id {hex_id}")
        entry = wallet.previous(ticket_id) if old else wallet.current(ticket_id)
        if entry is None:
            raise CliError(f"ticket {hex_id} was never transferred: it has no old credential"
                           if old else f"ticket {hex_id} is not held by a simulated phone")
        held = store.event(ticket.event_id)
        if held is None:  # pragma: no cover - foreign key
            raise CliError(f"ticket {hex_id} belongs to no event")
    period = held.policy.rotation_period
    now = time.time() if at is None else at
    text = entry.token(now, period)
    step = int(now // period)
    emit(as_json, {"ticket_id": hex_id, "event_id": held.event_id, "serial": entry.serial,
                   "superseded": entry.state != "current", "at": now, "step": step,
                   "rotation_period": period, "changes_at": (step + 1) * period,
                   "token": text}, text)


@main.command()
@click.argument("ticket_id", type=TICKET_ID)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def transfer(settings: ServerSettings, ticket_id: int, as_json: bool) -> None:
    """Move a demo ticket to a new simulated phone; the old phone's credential is superseded."""
    hex_id = format_ticket_id(ticket_id)
    with _open(settings) as (store, wallet):
        require_event(store)
        if store.ticket(ticket_id) is None:
            raise CliError(f"unknown ticket id {hex_id}")
        if wallet.current(ticket_id) is None:
            raise CliError(f"ticket {hex_id} is not held by a simulated phone: move a real "
                           "ticket with `gatescan-server transfer`")
        phone = wallet.new_holder(SystemEntropy())
        with store.transaction():
            moved = issuer.transfer(store, ticket_id, bytes(phone.verify_key))
            wallet.replace(ticket_id, moved.credential.serial, phone, moved.signed)
        info = republish(store, settings, moved.credential.event_id)
    emit_transfer(as_json, hex_id, moved.credential.serial, info, "a new simulated phone",
                  f"Old phone's code: gatescan-demo token {hex_id} --old (now refused)")


@main.command()
@click.option("--gate-data", type=click.Path(file_okay=False, path_type=Path), default=None,
              metavar="DIR", help="The demo gate's data directory [default: a new temporary "
                                  "one; with --video: $GATESCAN_DATA or the user data dir].")
@click.option("--video", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Play this video (made by `gatescan-demo video`) against the gate's ledger.")
@click.option("--issuer", "issuer_dir", type=click.Path(file_okay=False, path_type=Path),
              help="The data directory of a running `gatescan-server serve`.")
@click.option("--server", "server_url", metavar="URL",
              help="With --issuer: enroll the demo gate with this server "
                   "(e.g. http://127.0.0.1:8080), so it syncs.")
@click.option("--kiosk", is_flag=True, help="Full screen, no window frame, no cursor.")
@click.option("--loop", is_flag=True, help="Replay --video from the start when it ends.")
@click.option("--gate", metavar="NAME", help="Gate name (default: the demo's).")
@click.option("--lang", type=click.Choice(LANGUAGES),
              help="Interface language (default: from the system locale).")
@click.option("--no-sound", is_flag=True, help="No verdict sounds.")
@click.option("--preview-fps", type=click.FloatRange(0, 60), default=30.0, show_default=True,
              help="Camera preview frame rate (lower it on slow devices).")
@click.option("--announce-ready", is_flag=True, hidden=True,
              help="Print 'READY <seconds>' when ready to scan (the bench uses it).")
def gate(gate_data: Path | None, video: Path | None, issuer_dir: Path | None,
         server_url: str | None, kiosk: bool, loop: bool, gate: str | None, lang: str | None,
         no_sound: bool, preview_fps: float, announce_ready: bool) -> None:
    """Open a demo gate window: alone, a throw-away demo event, gate and video of phones;
    with --issuer and --server, a gate enrolled with that server; with --video, that video."""
    started = time.perf_counter()
    if (issuer_dir is None) != (server_url is None):
        raise click.UsageError("--issuer and --server go together")
    from gatescan.gate.ui.screen_check import display_problem  # no Qt: safe without a display

    problem = display_problem()
    if problem is not None:
        click.echo(f"gatescan-demo: {problem}.", err=True)
        sys.exit(2)
    from gatescan.demo import setup as demo_setup
    from gatescan.demo.launch import DemoSplash, demo_extras
    from gatescan.gate.cli import check_gate_option
    from gatescan.gate.ui.app import GateApp
    from gatescan.gate.ui.options import UiOptions  # Qt loads here, not for --help
    from gatescan.gate.ui.run import Launch, Staging, run_app
    from gatescan.gate.ui.sync_link import find_sync

    def options_for(path: Path | None, name: str | None) -> UiOptions:
        return UiOptions(kiosk=kiosk, video=path, loop=loop, gate=name, language=lang,
                         demo=True, sound=not no_sound, preview_fps=preview_fps,
                         announce_ready=announce_ready)

    if video is not None and issuer_dir is None:
        settings = ScannerSettings.build(gate_data)
        name = _video_gate(video, gate)
        if name is not None:
            name = check_gate_option(settings, name)  # a gate the event lacks: exit 2
        staged = Staging(decorate=lambda app: demo_extras(app, video, None))
        sys.exit(run_app(settings, options_for(video, name), started=started, staging=staged))

    def prepare() -> Launch:
        if issuer_dir is not None and server_url is not None:
            plan = demo_setup.prepare_enrolled_demo(issuer_dir, server_url, gate_dir=gate_data)
        else:
            plan = demo_setup.prepare_demo(gate_dir=gate_data)
        ready = ScannerSettings.build(plan.gate_dir)
        chosen = check_gate_option(ready, gate) if gate is not None else plan.gate
        service, enroller = find_sync(ready) if issuer_dir is not None else (None, None)
        return Launch(ready, options_for(plan.video, chosen), service, enroller)

    def decorate(app: GateApp) -> None:
        demo_extras(app, app.options.video, demo_setup.DEMO_PIN)

    click.echo("Preparing the demo: issuer, gate ledger and phone video "
               f"(manager PIN {demo_setup.DEMO_PIN})…", err=True)
    staged = Staging(splash=lambda: DemoSplash(demo_setup.DEMO_PIN), prepare=prepare,
                     decorate=decorate)
    sys.exit(run_app(ScannerSettings.build(gate_data), options_for(None, gate),
                     started=started, staging=staged))


def _video_gate(video: Path, gate: str | None) -> str | None:
    """The gate the video was made for (warns when its codes have expired)."""
    from gatescan.demo import video as demo_video

    info = demo_video.read_sidecar(video)
    if info is None:
        return gate
    late = time.time() - float(info.get("start_at", 0))
    if late > STALE_DEMO_S:
        click.echo(f"warning: {video.name} was made {late:.0f} s ago; its codes have expired "
                   "(make a fresh one with `gatescan-demo video`)", err=True)
    return gate or str(info.get("gate") or "") or None


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                "help_option_names": []})
@click.pass_context
def video(ctx: click.Context) -> None:
    """Make a demo video of phones held up to a gate (options: `gatescan-demo video -h`)."""
    from gatescan.demo import video as demo_video

    sys.exit(demo_video.main(ctx.args))


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                "help_option_names": []})
@click.pass_context
def screenshots(ctx: click.Context) -> None:
    """Write the gate's screenshots (options: `gatescan-demo screenshots -h`)."""
    from gatescan.demo import screenshots as shots

    sys.exit(shots.main(ctx.args))
