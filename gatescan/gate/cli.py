"""`gatescan`: the scanner's command line (import a manifest, check a code, status).

Exit status: 0 when a check admits, 1 when it refuses (or asks a person to
check), 2 for usage or environment errors (no manifest yet, unreadable file,
disk full, a gate the event does not have, ...), 3 for a repeat read: the same
ticket was admitted at this gate moments ago (recorded, not an admission: do
not open the gate again).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import click

from gatescan.gate.settings import ScannerSettings
from gatescan.protocol.cli_params import UNIX_TIME

if TYPE_CHECKING:  # the ledger loads when a command needs it, not for `gatescan --help`
    from gatescan.gate.ledger.ledger import Ledger

log = logging.getLogger(__name__)

EXIT_REFUSED = 1
EXIT_ERROR = 2
EXIT_REPEAT = 3


class EnvironmentProblem(click.ClickException):
    """A known environment failure, shown as one clear line with exit status 2."""

    exit_code = EXIT_ERROR


def environment_problem(exc: BaseException) -> EnvironmentProblem | None:
    """The one-line operator message for a known environment failure, None for a bug.

    Ledger failures (disk full, locked, damaged, gone), file system errors (read-only
    folder, missing permission, no space) and SQLite errors the ledger knows.
    """
    import sqlite3

    from gatescan.gate.ledger.errors import LedgerError, classify

    if isinstance(exc, LedgerError):
        return EnvironmentProblem(f"{exc.message} [{exc.code}]")
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return EnvironmentProblem(f"{where}{exc.strerror or exc}")
    if isinstance(exc, sqlite3.Error):
        known = classify(exc)
        if known is not None:
            return EnvironmentProblem(f"{known.message} [{known.code}]")
    return None


class LazyGroup(click.Group):
    """A command group whose heavier commands (camera, UI) import only when used."""

    lazy: ClassVar[dict[str, str]] = {
        "decode": "gatescan.gate.camera.commands:decode",
        "run": "gatescan.gate.ui.commands:run",
        "relay-test": "gatescan.gate.actuators.commands:relay_test",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._available()})

    def _available(self) -> list[str]:
        import importlib.util

        return [name for name, target in self.lazy.items()
                if importlib.util.find_spec(target.split(":")[0]) is not None]

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a known environment failure anywhere below is one line, exit 2."""
        try:
            return super().invoke(ctx)
        except EnvironmentProblem:
            raise
        except Exception as exc:
            problem = environment_problem(exc)
            if problem is None:
                raise  # a bug: keep the traceback
            raise problem from None

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None or cmd_name not in self._available():
            return command
        import importlib

        module, attr = self.lazy[cmd_name].split(":")
        loaded = getattr(importlib.import_module(module), attr)
        assert isinstance(loaded, click.Command)
        return loaded


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data", "data", type=click.Path(file_okay=False, path_type=Path),
              help="Data directory (default: $GATESCAN_DATA, else the user data directory).")
@click.option("-v", "--verbose", is_flag=True, help="Log to stderr.")
@click.version_option(package_name="gatescan")
@click.pass_context
def main(ctx: click.Context, data: Path | None, verbose: bool) -> None:
    """GateScan gate scanner: verify rotating ticket codes offline."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = ScannerSettings.build(data)


def _open_ledger(settings: ScannerSettings, *, must_exist: bool = True) -> Ledger:
    from gatescan.gate.ledger.errors import LedgerError
    from gatescan.gate.ledger.ledger import Ledger

    if must_exist and not settings.ledger_path.exists():
        raise EnvironmentProblem(
            f"no event loaded in {settings.data_dir}: run `gatescan import-manifest FILE` first")
    try:
        settings.ensure_dir()
        return Ledger(settings.ledger_path)
    except LedgerError as exc:
        raise EnvironmentProblem(exc.message) from None


@main.command("import-manifest")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--expect-key", metavar="FINGERPRINT",
              help="Refuse the manifest unless signed by this key: its SHA-256 fingerprint "
                   "(64 hex digits), public key or key id. Needed for the first import of an "
                   "event on a gate that is not enrolled.")
@click.option("--replace", is_flag=True, help="Replace a different event already loaded.")
@click.pass_obj
def import_manifest(settings: ScannerSettings, file: Path, expect_key: str | None,
                    replace: bool) -> None:
    """Load or update the event manifest from FILE (e.g. from a USB stick)."""
    from gatescan.gate.ledger.errors import LedgerError
    from gatescan.protocol.manifest import ManifestError

    pinned = _manifest_pins(settings, file, expect_key)
    try:
        source = file.open("rb")
    except OSError as exc:
        raise EnvironmentProblem(f"cannot read {file}: {exc.strerror}") from None
    ledger = _open_ledger(settings, must_exist=False)
    try:
        with source:
            result = ledger.import_manifest(source, expect_key=expect_key, progress=True,
                                            replace=replace, pinned=pinned)
    except ManifestError as exc:
        raise EnvironmentProblem(f"manifest refused ({exc.code}): {exc.message}; "
                                 "the ledger is unchanged") from None
    except LedgerError as exc:
        raise EnvironmentProblem(exc.message) from None
    finally:
        ledger.close()
    click.echo(f"Imported {result.event.name} (manifest #{result.sequence}): "
               f"{result.tickets:,} tickets, "
               f"{result.revocations:,} revocations in {result.seconds:.1f} s")


def _manifest_pins(settings: ScannerSettings, file: Path,
                   expect_key: str | None) -> tuple[str, ...]:
    """The pins a USB import needs (see sync/pinning.py); exit 2 with one line if none."""
    from gatescan.gate.sync.pinning import PinError, usb_pins

    try:
        return usb_pins(settings, file, expect_key)
    except PinError as exc:
        raise EnvironmentProblem(str(exc)) from None


@main.command()
@click.argument("text")
@click.option("--at", "at", type=UNIX_TIME, metavar="UNIX_TIME",
              help="Check as if the time were this (default: now).")
@click.option("--gate", metavar="NAME", help="Gate name (default: the event's first gate).")
@click.option("--direction", type=click.Choice(["entry", "exit"]), default="entry",
              show_default=True)
@click.option("--dry-run", is_flag=True, help="Verify only; record nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def check(settings: ScannerSettings, text: str, at: float | None, gate: str | None,
          direction: str, dry_run: bool, as_json: bool) -> None:
    """Verify the ticket code TEXT ('-' reads it from stdin) and record the scan."""
    from gatescan.gate.ledger.errors import LedgerError
    from gatescan.gate.verify.view import GateContext

    if text == "-":
        text = sys.stdin.readline()
    ledger = _open_ledger(settings)
    try:
        gate_name = gate or _default_gate(ledger, settings)
        if gate_name is None:
            raise EnvironmentProblem("no event loaded: run `gatescan import-manifest FILE` first")
        if gate is not None:
            gate_name = known_gate(ledger, gate)
        if at is None:
            now, trusted = _gate_time(ledger)
        else:
            now, trusted = at, True  # the operator said what time it is
        context = GateContext(gate_name, direction,  # type: ignore[arg-type]
                              settings.device_id(), clock_trusted=trusted)
        result = ledger.redeem(text, now, context, source="cli", dry_run=dry_run)
    except LedgerError as exc:
        raise EnvironmentProblem(f"scan NOT recorded: {exc.message}") from None
    finally:
        ledger.close()
    verdict = result.verdict
    if as_json:
        out = verdict.to_dict()
        out["scan_id"] = result.scan_id
        out["gate"] = gate_name
        out["direction"] = direction
        out["recorded"] = result.scan_id is not None
        click.echo(json.dumps(out))
    else:
        _print_verdict(verdict, gate_name, dry_run)
    sys.exit(_exit_status(verdict))


def _exit_status(verdict: Any) -> int:
    from gatescan.protocol.verdict import Outcome

    if verdict.admit:
        return 0
    return EXIT_REPEAT if verdict.outcome is Outcome.REPEAT_READ else EXIT_REFUSED


def check_gate_option(settings: ScannerSettings, name: str) -> str:
    """Validate a `--gate` option against the loaded event (any name before an event is loaded).

    Raises `click.UsageError` (exit 2) for a gate the event does not have.
    """
    if not settings.ledger_path.exists():
        return name
    ledger = _open_ledger(settings)
    try:
        return known_gate(ledger, name)
    finally:
        ledger.close()


def known_gate(ledger: Ledger, name: str) -> str:
    """The event's spelling of gate `name`; a usage error (exit 2) if the event has no such gate.

    An event that lists no gates takes any name.
    """
    event = ledger.status().event
    policy = ledger.event(event.event_id) if event is not None else None
    if policy is None or not policy.gates:
        return name
    found = policy.gate(name)
    if found is None:
        names = ", ".join(g.name for g in policy.gates)
        raise click.UsageError(f"{policy.name} has no gate {name!r}: use one of {names}",
                               click.get_current_context())
    return str(found.name)


def _gate_time(ledger: Ledger) -> tuple[float, bool]:
    """Now by the server's clock if this boot has synced, and whether the clock is trusted.

    Before the first sync of this boot, a wall clock clearly earlier than the
    newest time the ledger has seen is "unset" (docs/sync-client.md).
    """
    from gatescan.gate.sync.clock import CLOCK_KEY, GateClock

    clock = GateClock()
    clock.restore(ledger.sync_state(CLOCK_KEY))
    return clock.now(), clock.trusted(ledger.newest_time_seen())


def _default_gate(ledger: Ledger, settings: ScannerSettings | None = None) -> str | None:
    """The gate this device was enrolled for, else the event's first gate (or a generic name)."""
    event = ledger.status().event
    if event is None:
        return None
    if settings is not None:
        from gatescan.gate.sync.credentials import Credentials, CredentialsError

        try:
            creds = Credentials.load(settings.data_dir)
        except CredentialsError:
            creds = None
        if creds is not None and creds.gate and creds.event_id == event.event_id:
            return creds.gate
    policy = ledger.event(event.event_id)
    return policy.gates[0].name if policy is not None and policy.gates else "Gate"


_TIME_KEYS = {"last_import", "manifest_generated_at", "last_sync", "last_pull", "offline_since"}

_BANNER = {"admit": ("ADMIT", "green"), "refuse": ("REFUSED", "red"), "check": ("CHECK", "yellow"),
           "repeat": ("ALREADY ADMITTED HERE", "blue")}


def _print_verdict(verdict: Any, gate: str, dry_run: bool) -> None:
    from gatescan.protocol.token import format_ticket_id

    word, colour = _BANNER[verdict.level.value]
    if verdict.outcome.value == "exit_recorded":  # an exit opens the gate, but is no admission
        word = "EXIT OK"
    click.secho(f" {word} ", fg="black", bg=colour, bold=True, nl=False)
    click.echo(f"  {verdict.reason}")
    t = verdict.ticket
    if t is not None:
        facts = [f"ticket {format_ticket_id(t.ticket_id)}"]
        if t.type_name:
            facts.append(t.type_name)
        if t.seat:
            facts.append(f"seat {t.seat}")
        if not t.listed:
            facts.append("not on this gate's list")
        click.echo("         " + " · ".join(facts))
    click.echo(f"         {gate} · {verdict.outcome.value}" + (" · dry run, not recorded"
                                                               if dry_run else ""))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def status(settings: ScannerSettings, as_json: bool) -> None:
    """Show the loaded event, ticket count, scans and last import."""
    from gatescan.protocol.clock import UTC_ZONE, EventZone, format_iso

    zone = UTC_ZONE
    if not settings.ledger_path.exists():
        info: dict[str, Any] = {"event": None, "data_dir": str(settings.data_dir)}
    else:
        ledger = _open_ledger(settings)
        try:
            status = ledger.status()
            if status.event is not None:  # times in the event's zone, as the gate shows them
                zone = EventZone.of(ledger.event(status.event.event_id))
            info = status.to_json()
        finally:
            ledger.close()
        info["data_dir"] = str(settings.data_dir)
    info.update(_sync_info(settings))
    info["mesh"] = _mesh_info(settings)
    if as_json:
        click.echo(json.dumps(info, default=str))
        return
    enrolled = bool(info.get("enrolled"))
    for key, value in info.items():
        if value is None:
            value = _unset_word(key, enrolled)
        elif key in _TIME_KEYS and isinstance(value, int | float):
            value = format_iso(value, zone).replace("T", " ")
        elif key == "clock_offset" and isinstance(value, int | float):
            value = f"{value * 1000:+.0f} ms (server time minus this clock)"
        if isinstance(value, dict):
            value = ", ".join(f"{k}: {v}" for k, v in value.items()) or "-"
        click.echo(f"{key.replace('_', ' '):>20}: {value}")


# What an unset field means, in words (text mode only: --json keeps null).
_UNSET_WORDS = {
    "event": "none loaded",
    "last_import": "never",
    "last_sync": "never",
    "last_pull": "never",
    "offline_since": "never online",
    "clock_offset": "unknown (not synced yet)",
    "sync_error": "none",
}


def _unset_word(key: str, enrolled: bool) -> str:
    """The word `gatescan status` prints for a field that has no value."""
    if key in ("device_id", "server_url") or (key == "gate" and not enrolled):
        return "not enrolled"
    if key == "gate":
        return "any (not assigned to a gate)"
    return _UNSET_WORDS.get(key, "not set")


def _mesh_info(settings: ScannerSettings) -> dict[str, Any] | None:
    """The mesh node's last status (`gatescan mesh`), None if it never ran here."""
    from gatescan.gate.mesh.node import read_status

    st = read_status(settings.data_dir)
    if st is None:
        return None
    return {"running": st.get("running"), "gates": st.get("gates"),
            "reachable": st.get("reachable"), "peers": len(st.get("peers") or ()),
            "listen": st.get("listen"), "refused": st.get("refused")}


def _sync_info(settings: ScannerSettings) -> dict[str, Any]:
    """The sync state for `gatescan status` (read from the ledger; no network)."""
    from gatescan.gate.sync.credentials import Credentials, CredentialsError
    from gatescan.gate.sync.engine import SyncEngine

    try:
        creds = Credentials.load(settings.data_dir)
    except CredentialsError as exc:
        raise EnvironmentProblem(str(exc)) from None
    st = SyncEngine(settings, None).status()
    info: dict[str, Any] = {
        "enrolled": st.enrolled,
        "device_id": creds.device_id if creds else None,
        "server_url": creds.url if creds else None,
        "gate": creds.gate if creds else None,
        "online": st.online,
        "offline_since": st.offline_since,
        "last_sync": st.last_sync,
        "last_pull": st.last_pull,
        "clock_state": st.clock_state.value,
        "clock_offset": st.clock_offset,
        "device_revoked": st.device_revoked,
        "conflicts": st.conflicts,
        "rejected_uploads": st.rejected_uploads,
        "sync_error": st.error,
        "pending_uploads": st.pending_uploads,  # 0 when there is no ledger yet
        "server_rollback": st.server_rollback,  # the server was found behind (restored backup)
        "pinned_keys": list(st.pinned_keys),    # issuer key fingerprints from enrollment
    }
    return info


@main.command()
@click.argument("text")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def enroll(settings: ScannerSettings, text: str, as_json: bool) -> None:
    """Enroll this gate with the handshake TEXT of the organizer's QR code ('-': stdin)."""
    from gatescan.gate.sync.client import make_http_client
    from gatescan.gate.sync.enroll import GateEnroller
    from gatescan.gate.sync.errors import EnrollError

    if text == "-":
        text = sys.stdin.read()
    try:
        settings.ensure_dir()
    except OSError as exc:
        raise EnvironmentProblem(f"cannot use {settings.data_dir}: {exc.strerror}") from None
    with make_http_client() as http:
        try:
            done = GateEnroller(settings, http).enroll(text)
        except EnrollError as exc:
            raise EnvironmentProblem(f"enrollment failed: {exc.message}") from None
    if as_json:
        click.echo(json.dumps({"device_id": done.device_id, "event_id": done.event_id,
                               "event_name": done.event_name, "gate": done.gate,
                               "tickets": done.tickets, "warning": done.warning}))
        return
    click.echo(f"Enrolled as {done.device_id} for {done.event_name or done.event_id}"
               f" at {done.gate or 'no fixed gate'}.")
    if done.tickets is not None:
        click.echo(f"Event loaded: {done.tickets:,} tickets.")
    if done.warning:
        click.echo(f"warning: {done.warning}", err=True)


def _describe(st: Any) -> str:
    """One line for a sync status."""
    if st.device_revoked:
        return st.error or "device revoked"
    if not st.enrolled:
        return "not enrolled"
    parts = ["online" if st.online else "OFFLINE", f"{st.pending_uploads} pending",
             f"clock {st.clock_state.value}"]
    if st.rejected_uploads:
        parts.append(f"{st.rejected_uploads} rejected")
    if st.conflicts:
        parts.append(f"{st.conflicts} conflicts")
    if st.error:
        parts.append(st.error)
    return ", ".join(parts)


@main.command()
@click.option("--once", is_flag=True, help="Run one round and exit (status 2 if it failed).")
@click.option("--interval", type=click.FloatRange(1, 3600), default=15.0, show_default=True,
              help="Seconds between rounds while online.")
@click.option("--retry-rejected", is_flag=True,
              help="Send the scans the server rejected once more.")
@click.option("--ack-server-rollback", "ack_rollback", is_flag=True,
              help="Clear the 'server restored from an older backup' warning once dealt with.")
@click.option("--json", "as_json", is_flag=True, help="With --once: print one JSON object.")
@click.pass_obj
def sync(settings: ScannerSettings, once: bool, interval: float, retry_rejected: bool,
         ack_rollback: bool, as_json: bool) -> None:
    """Push scans to the server and pull changes: once, or on until interrupted."""
    import signal
    import threading

    from gatescan.gate.sync.client import make_http_client
    from gatescan.gate.sync.credentials import Credentials, CredentialsError
    from gatescan.gate.sync.engine import SyncConfig, SyncEngine
    from gatescan.gate.sync.runner import SyncRunner

    try:
        creds = Credentials.load(settings.data_dir)
    except CredentialsError as exc:
        raise EnvironmentProblem(str(exc)) from None
    with make_http_client() as http:
        engine = SyncEngine(settings, http, config=SyncConfig(interval=interval))
        if creds is None:
            st = engine.status()
            raise EnvironmentProblem(st.error or "device revoked" if st.device_revoked else
                                     "this gate is not enrolled: run `gatescan enroll TEXT` with "
                                     "the text of the organizer's enrollment QR code")
        if retry_rejected:
            click.echo(f"{engine.retry_rejected()} rejected scans queued again", err=True)
        if ack_rollback:
            done = engine.acknowledge_rollback()
            click.echo("server rollback warning cleared" if done else
                       "no server rollback warning to clear", err=True)
        if once:
            st = engine.sync_once()
            if as_json:
                click.echo(json.dumps(st.to_dict()))
            else:
                click.echo(_describe(st))
            if st.error or not st.online:
                sys.exit(EXIT_ERROR)
            return
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        last: list[str] = []

        def show(st: Any) -> None:
            line = _describe(st)
            if not last or last[-1] != line:
                click.echo(f"{datetime.now().strftime('%H:%M:%S')} {line}")
                last[:] = [line]

        runner = SyncRunner(engine, on_status=show)
        runner.start()
        click.echo(f"Syncing with {creds.url} (Ctrl-C stops)", err=True)
        stop.wait()
        runner.stop()


@main.command()
@click.option("--listen", metavar="HOST:PORT",
              help="Where the mesh listens (UDP; default from mesh.json, else 0.0.0.0:7400).")
@click.option("--peer", "peers", multiple=True, metavar="HOST:PORT",
              help="A peer to talk to besides those the server lists (repeatable).")
@click.option("--heads-every", type=click.FloatRange(0.05, 60), default=None,
              help="Seconds between anti-entropy rounds (default 1).")
@click.option("--roster-every", type=click.FloatRange(0.2, 3600), default=None,
              help="Seconds between roster renewals from the server (default 15).")
@click.option("--no-discovery", is_flag=True,
              help="Do not announce or look for gates with mDNS (default from mesh.json: on).")
@click.option("--drop-rate", type=click.FloatRange(0, 1), default=0.0, hidden=True)
@click.pass_obj
def mesh(settings: ScannerSettings, listen: str | None, peers: tuple[str, ...],
         heads_every: float | None, roster_every: float | None, no_discovery: bool,
         drop_rate: float) -> None:
    """Share scans with the event's other gates directly (docs/mesh.md), until interrupted."""
    import dataclasses
    import signal
    import threading

    from gatescan.gate.mesh.run import MeshNotReady, run_mesh
    from gatescan.gate.sync.mesh_roster import MeshSettings

    try:
        conf = MeshSettings.load(settings.data_dir)
    except ValueError as exc:
        raise EnvironmentProblem(str(exc)) from None
    changes: dict[str, Any] = {"drop_rate": drop_rate}
    if no_discovery:
        changes["discovery"] = False
    if listen:
        changes["listen"] = listen
    if peers:
        changes["peers"] = conf.peers + peers
    if heads_every is not None:
        changes["heads_every"] = heads_every
    if roster_every is not None:
        changes["roster_every"] = roster_every
    conf = dataclasses.replace(conf, **changes)
    if not conf.enabled:
        raise EnvironmentProblem("the mesh is turned off in mesh.json (\"enabled\": false)")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        run_mesh(settings.data_dir, conf, stop=stop,
                 ready=lambda node: click.echo(f"mesh listening on {node.address}", err=True))
    except (MeshNotReady, ValueError) as exc:
        raise EnvironmentProblem(str(exc)) from None


@main.command()
@click.option("--from-export", "export", type=click.Path(dir_okay=False, path_type=Path),
              help="Restore this gate's scans from FILE (written by `gatescan export-scans`).")
@click.option("--force", is_flag=True, help="Rebuild even if the ledger opens and checks fine.")
@click.option("--no-sync", is_flag=True, help="Do not sync with the server afterwards.")
@click.pass_obj
def recover(settings: ScannerSettings, export: Path | None, force: bool, no_sync: bool) -> None:
    """Move a damaged ledger aside, start a fresh one, restore exported scans, then sync.

    The sync pulls the event and the other gates' scans from the server and
    pushes the restored scans again (the server keeps each scan id once).
    """
    from gatescan.gate.ledger.errors import LedgerError
    from gatescan.gate.ledger.ledger import Ledger
    from gatescan.gate.ledger.rebuild import RebuildError, move_aside, parse_export_line
    from gatescan.gate.sync.credentials import Credentials, CredentialsError

    try:
        creds = Credentials.load(settings.data_dir)
    except CredentialsError:
        creds = None
    device = creds.device_id if creds else settings.device_id()
    scans = []
    if export is not None:  # read and check it all first: a bad file changes nothing
        try:
            lines = export.read_bytes().splitlines()
        except OSError as exc:
            raise EnvironmentProblem(f"cannot read {export}: {exc.strerror}") from None
        for n, line in enumerate(lines, 1):
            if line.strip():
                try:
                    scans.append(parse_export_line(line, device))
                except RebuildError as exc:
                    raise EnvironmentProblem(f"{export} line {n}: {exc.message}; "
                                             "nothing was changed") from None
    path = settings.ledger_path
    if path.exists():
        try:
            Ledger(path).close()
        except LedgerError as exc:
            click.echo(f"The ledger cannot be used: {exc.message}", err=True)
        else:
            if not force:
                raise EnvironmentProblem("the ledger opens and checks fine: nothing to recover "
                                         "(add --force to rebuild it anyway)")
        click.echo(f"Moved the old ledger to {move_aside(path)}", err=True)
    settings.ensure_dir()
    with Ledger(path) as fresh:
        restored = fresh.restore_scans(scans)
    click.echo(f"New ledger {path}: {restored:,} scans restored"
               + (f" from {export}" if export else ""))
    if creds is None or no_sync:
        click.echo("Load the event: `gatescan import-manifest FILE` or `gatescan sync --once`.")
        return
    from gatescan.gate.sync.client import make_http_client
    from gatescan.gate.sync.engine import SyncEngine

    with make_http_client() as http:
        st = SyncEngine(settings, http).sync_once()
    click.echo(_describe(st))
    if st.error or not st.online:
        raise EnvironmentProblem("recovered, but the sync failed: run `gatescan sync --once` "
                                 "when the server is reachable")


@main.command("export-scans")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.pass_obj
def export_scans(settings: ScannerSettings, file: Path) -> None:
    """Write the scans not yet sent to the server to FILE (JSON Lines; '-': stdout)."""
    from gatescan.gate.ledger.errors import LedgerError
    from gatescan.gate.sync.credentials import Credentials, CredentialsError
    from gatescan.gate.sync.export import export_scans as export
    from gatescan.gate.sync.export import write_scans

    try:
        creds = Credentials.load(settings.data_dir)
    except CredentialsError:
        creds = None
    device = creds.device_id if creds else settings.device_id()
    ledger = _open_ledger(settings)
    try:
        if str(file) == "-":
            result = write_scans(ledger, sys.stdout, device)
        else:
            result = export(ledger, file, device)
    except OSError as exc:
        raise EnvironmentProblem(f"cannot write {file}: {exc.strerror}") from None
    except LedgerError as exc:
        raise EnvironmentProblem(exc.message) from None
    finally:
        ledger.close()
    events = ", ".join(str(e) for e in result.event_ids) or "EVENT"
    click.echo(f"Wrote {result.scans:,} unsent scans to {file}. Import on the server with "
               f"POST /api/v1/admin/events/{events}/scans/import (importing twice is harmless).",
               err=True)
