"""`gatescan-server`: the offline issuer and phone simulator on the command line.

Exit status: 0 on success, 2 on a usage error (bad or unknown ticket id, no
event yet, conflicting demo options) or an environment error (data directory
not writable, database locked), with the reason on stderr.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from scanner.verify.cli_params import UNIX_TIME
from scanner.verify.token import (
    MAX_TYPED_TIME,
    TokenError,
    format_ticket_id,
    parse_ticket_id,
)
from server_stub import demo as demo_mod
from server_stub import issuer
from server_stub.entropy import Entropy, SeededEntropy, SystemEntropy
from server_stub.errors import IssuerError
from server_stub.handshake import active_fingerprints
from server_stub.settings import ServerSettings, load_settings
from server_stub.store import IssuerStore, StoredEvent
from server_stub.wallet import Wallet

log = logging.getLogger(__name__)

class CliError(click.ClickException):
    """A refused command: message on stderr, exit status 2."""

    exit_code = 2


class TicketIdParam(click.ParamType[int]):
    """A ticket id as printed: up to 16 hex digits (dashes and spaces ignored)."""

    name = "TICKET_ID"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> int:
        """Parse the hex text into the ticket number."""
        if isinstance(value, int):
            return value
        try:
            return parse_ticket_id(str(value))
        except TokenError as exc:
            self.fail(f"{exc.message} (expected up to 16 hex digits, e.g. "
                      f"{format_ticket_id(0x1F2E3D4C5B6A7988)})", param, ctx)


TICKET_ID = TicketIdParam()


class _Handler(logging.Handler):
    """Log lines to the current stderr (resolved per record, so test runners can swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(self.format(record), err=True)


def _configure_logging(verbose: int) -> None:
    package = logging.getLogger("server_stub")
    if not any(isinstance(h, _Handler) for h in package.handlers):
        handler = _Handler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        package.addHandler(handler)
    package.setLevel(logging.WARNING if verbose == 0 else
                     logging.INFO if verbose == 1 else logging.DEBUG)


class _Group(click.Group):
    """Turns known refusals and environment failures into exit status 2 with a reason."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except IssuerError as exc:
            raise CliError(exc.message) from None
        except (OSError, sqlite3.DatabaseError, SQLAlchemyError, UnicodeDecodeError) as exc:
            if not _is_environment_failure(exc):
                raise  # a bug (a constraint or a statement that cannot run): keep the traceback
            where = _what_failed(ctx.obj, exc)
            # SQLAlchemy's own text carries statements and parameters: keep the driver's.
            detail = getattr(exc, "orig", None) or exc
            if isinstance(exc, OSError) and exc.strerror:
                detail = exc.strerror
            if isinstance(exc, UnicodeDecodeError):
                # SQLite's message about a damaged schema page quotes the damaged bytes.
                detail = "the database file is damaged (text that is not UTF-8)"
            log.info("environment error: %s", detail)  # -v; the Error: line says it
            raise CliError(f"cannot use {where}: {detail}") from None


def _is_environment_failure(exc: BaseException) -> bool:
    """True for a disk, permission, lock or damaged-file failure; False for a bug."""
    orig = getattr(exc, "orig", None)
    driver = orig if isinstance(orig, sqlite3.Error) else exc
    return not isinstance(driver, sqlite3.IntegrityError | sqlite3.ProgrammingError
                          | sqlite3.InterfaceError)


def _what_failed(settings: object, exc: BaseException) -> str:
    """Name the thing that failed: the file, the database (password hidden), the data dir."""
    if isinstance(exc, OSError) and exc.filename:
        return str(exc.filename)
    if not isinstance(settings, ServerSettings):
        return "the data directory"
    if settings.database_url and not isinstance(exc, OSError):
        url = make_url(settings.database_url).render_as_string(hide_password=True)
        return f"the database {url}"
    return str(settings.data_dir)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, metavar="DIR",
              help="Data directory [default: $GATESCAN_SERVER_DATA, else the user data dir].")
@click.option("--database-url", default=None, metavar="URL",
              help="SQLAlchemy URL of the issuer database, e.g. postgresql+psycopg://… "
                   "[default: $GATESCAN_DATABASE_URL, else DIR/issuer.db].")
@click.option("-v", "--verbose", count=True, help="Log progress to stderr (-vv: debug).")
@click.version_option(package_name="gatescan", prog_name="gatescan-server")
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None, database_url: str | None,
         verbose: int) -> None:
    """GateScan issuer and sync server: events, tickets, devices, manifests, `serve`."""
    _configure_logging(verbose)
    ctx.obj = load_settings(data_dir, database_url=database_url)


@contextmanager
def _open(settings: ServerSettings) -> Iterator[tuple[IssuerStore, Wallet]]:
    with IssuerStore.open(settings) as store, Wallet(settings.wallet_path) as wallet:
        yield store, wallet


@contextmanager
def _progress_bar(total: int, label: str) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr when it is a terminal (as the gate's manifest import has)."""
    if not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm  # only needed on a terminal

    with tqdm(total=total, unit=" tickets", desc=label, file=sys.stderr, leave=False) as bar:
        yield bar.update


def _emit(as_json: bool, data: dict[str, Any], text: str) -> None:
    click.echo(json.dumps(data) if as_json else text)


def _require_event(store: IssuerStore) -> StoredEvent:
    event = store.latest_event()
    if event is None:
        raise CliError("no event yet: run `gatescan-server demo` first")
    return event


def _default_event(store: IssuerStore) -> StoredEvent:
    """The only active event; a usage error listing them when there are several."""
    from server_stub.console.events import default_event

    try:
        event = default_event(store)
    except IssuerError as exc:
        raise CliError(exc.message) from None
    if event is None:
        raise CliError("no event yet: run `gatescan-server demo` first")
    return event


def _event(store: IssuerStore, event_id: int) -> StoredEvent:
    event = store.event(event_id)
    if event is None:
        raise CliError(f"unknown event {event_id}")
    return event


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
def demo(settings: ServerSettings, tickets: int | None, as_json: bool, seed: int | None,
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
        # One transaction from the check to the end: two concurrent `demo`s make one event.
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
            event, created = store.event(existing.event_id) or existing, False
        else:
            entropy: Entropy = SystemEntropy() if seed is None else SeededEntropy(seed)
            params = demo_mod.DemoParams(tickets or demo_mod.DEFAULT_TICKETS, seed, when)
            with _progress_bar(params.tickets, "issuing tickets") as progress:
                event = demo_mod.create_demo(store, wallet, settings, params, entropy=entropy,
                                             now=int(time.time()) if when is None else when,
                                             progress=progress)
            created = True
        report = demo_mod.demo_report(store, settings, event, created=created)
    _emit(as_json, report, demo_mod.format_demo_report(report))


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
    """Print the rotating code the ticket's phone shows at a moment."""
    hex_id = format_ticket_id(ticket_id)
    with _open(settings) as (store, wallet):
        _require_event(store)
        ticket = store.ticket(ticket_id)
        if ticket is None:
            raise CliError(f"unknown ticket id {hex_id}")
        entry = wallet.previous(ticket_id) if old else wallet.current(ticket_id)
        if entry is None:
            raise CliError(f"ticket {hex_id} was never transferred: it has no old credential"
                           if old else f"ticket {hex_id} is not held by the simulated wallet")
        event = store.event(ticket.event_id)
        if event is None:  # pragma: no cover - foreign key
            raise CliError(f"ticket {hex_id} belongs to no event")
    period = event.policy.rotation_period
    now = time.time() if at is None else at
    text = entry.token(now, period)
    step = int(now // period)
    _emit(as_json, {"ticket_id": hex_id, "event_id": event.event_id, "serial": entry.serial,
                    "superseded": entry.state != "current", "at": now, "step": step,
                    "rotation_period": period, "changes_at": (step + 1) * period,
                    "token": text}, text)


def _republish(store: IssuerStore, settings: ServerSettings, event_id: int) -> issuer.ManifestInfo:
    return issuer.write_manifest(store, event_id, settings.manifest_path(event_id))


@main.command()
@click.argument("ticket_id", type=TICKET_ID)
@click.option("--reason", default="refund", show_default=True,
              type=click.STRING, help="Why (shown at the gate, up to 200 characters).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def revoke(settings: ServerSettings, ticket_id: int, reason: str, as_json: bool) -> None:
    """Revoke a ticket (refund) and rewrite its event's manifest."""
    reason = reason.strip()
    try:
        issuer.check_reason(reason)
    except IssuerError as exc:
        raise click.BadParameter(exc.message, param_hint="--reason") from None
    hex_id = format_ticket_id(ticket_id)
    with _open(settings) as (store, _wallet):
        _require_event(store)
        before = store.ticket(ticket_id)
        if before is None:
            raise CliError(f"unknown ticket id {hex_id}")
        after = issuer.revoke(store, ticket_id, reason)
        already = before.status == after.status
        # Repeating a revocation changes nothing, so the manifest stays as it is.
        path = settings.manifest_path(after.event_id)
        sequence = (_event(store, after.event_id).manifest_sequence if already
                    else _republish(store, settings, after.event_id).sequence)
    text = (f"Already revoked: ticket {hex_id} ({after.revoked_reason}). Nothing changed;"
            f" manifest sequence stays {sequence}: {path}" if already else
            f"Revoked: ticket {hex_id} ({after.revoked_reason}).\n"
            f"Manifest sequence {sequence}: {path}")
    _emit(as_json,
          {"ticket_id": hex_id, "status": after.status, "reason": after.revoked_reason,
           "already_revoked": already, "changed": not already, "manifest": str(path),
           "manifest_sequence": sequence}, text)


@main.command()
@click.argument("ticket_id", type=TICKET_ID)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def transfer(settings: ServerSettings, ticket_id: int, as_json: bool) -> None:
    """Move a ticket to a new simulated phone; the old phone's credential is superseded."""
    hex_id = format_ticket_id(ticket_id)
    with _open(settings) as (store, wallet):
        _require_event(store)
        if store.ticket(ticket_id) is None:
            raise CliError(f"unknown ticket id {hex_id}")
        phone = wallet.new_holder(SystemEntropy())
        with store.transaction():
            moved = issuer.transfer(store, ticket_id, bytes(phone.verify_key))
            wallet.replace(ticket_id, moved.credential.serial, phone, moved.signed)
        info = _republish(store, settings, moved.credential.event_id)
    serial = moved.credential.serial
    _emit(as_json,
          {"ticket_id": hex_id, "serial": serial, "previous_serial": serial - 1,
           "manifest": str(info.path), "manifest_sequence": info.sequence},
          f"Transferred ticket {hex_id} to a new phone: credential serial {serial - 1} -> "
          f"{serial}.\nOld phone's code: gatescan-server token {hex_id} --old (now refused)\n"
          f"Manifest sequence {info.sequence}: {info.path}")


@main.command()
@click.option("--event", "event_id", type=click.IntRange(1, 0xFFFFFFFF), default=None,
              help="Event id [default: the most recent event].")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write here [default: DATA/manifests/EVENT_ID.gsm].")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def manifest(settings: ServerSettings, event_id: int | None, out: Path | None,
             as_json: bool) -> None:
    """Write the event's signed manifest (for USB preload); the sequence goes up by one."""
    with _open(settings) as (store, _wallet):
        event = _default_event(store) if event_id is None else store.event(event_id)
        if event is None:
            raise CliError(f"no event {event_id} in {settings.data_dir}")
        path = out if out is not None else settings.manifest_path(event.event_id)
        try:
            info = issuer.write_manifest(store, event.event_id, path.absolute())
        except OSError as exc:
            raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None
        fingerprint = active_fingerprints(store, event.event_id)[-1]
    _emit(as_json,
          {"event_id": info.event_id, "manifest": str(info.path), "sequence": info.sequence,
           "tickets": info.tickets, "revocations": info.revocations,
           "fingerprint": fingerprint},
          f"Manifest of {event.name} (event {info.event_id}), sequence {info.sequence}: "
          f"{info.tickets} tickets, {info.revocations} revoked\n{info.path}\n"
          f"Signer key fingerprint (gatescan import-manifest --expect-key): {fingerprint}")


def _register() -> None:
    from server_stub import cli_console, cli_devices, cli_server
    from server_stub.wallet import cli as cli_wallet

    main.add_command(cli_server.serve)
    main.add_command(cli_server.admin_token)
    main.add_command(cli_devices.device)
    main.add_command(cli_wallet.ticket)
    main.add_command(cli_console.account)
    main.add_command(cli_console.event)


_register()
