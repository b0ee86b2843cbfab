"""What the `gatescan-server` commands share: refusals, ticket ids, output, the event acted on.

A refusal is a `CliError` (exit status 2, the reason on stderr); `ServerGroup`
turns environment failures (disk, permissions, locks, a damaged file) into one.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from gatescan.protocol.token import (
    TokenError,
    format_ticket_id,
    parse_ticket_id,
)
from gatescan.server.errors import IssuerError
from gatescan.server.issuer import ManifestInfo, write_manifest
from gatescan.server.settings import ServerSettings
from gatescan.server.store import IssuerStore, StoredEvent

log = logging.getLogger(__name__)

NO_EVENT = ("no event yet: create one with `gatescan-server event create --from FILE` "
            "(or a demo event with `gatescan-demo event`)")


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


def configure_logging(verbose: int, package_name: str = "gatescan.server") -> None:
    """Log lines of `package_name` to stderr: warnings, -v info, -vv debug."""
    package = logging.getLogger(package_name)
    if not any(isinstance(h, _Handler) for h in package.handlers):
        handler = _Handler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        package.addHandler(handler)
    package.setLevel(logging.WARNING if verbose == 0 else
                     logging.INFO if verbose == 1 else logging.DEBUG)


class ServerGroup(click.Group):
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


@contextmanager
def progress_bar(total: int, label: str) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr when it is a terminal (as the gate's manifest import has)."""
    if not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm  # only needed on a terminal

    with tqdm(total=total, unit=" tickets", desc=label, file=sys.stderr, leave=False) as bar:
        yield bar.update


def read_upload(file: Path, limit: int) -> bytes:
    """Up to `limit` + 1 bytes of an organizer's file (its reader refuses a larger one);
    `CliError` naming the file if it cannot be read."""
    try:
        with file.open("rb") as f:
            return f.read(limit + 1)
    except OSError as exc:
        raise CliError(f"cannot read {file}: {exc.strerror}") from None


def emit(as_json: bool, data: dict[str, Any], text: str) -> None:
    click.echo(json.dumps(data) if as_json else text)


def require_event(store: IssuerStore) -> StoredEvent:
    event = store.latest_event()
    if event is None:
        raise CliError(NO_EVENT)
    return event


def default_event(store: IssuerStore) -> StoredEvent:
    """The only active event; a usage error listing them when there are several."""
    from gatescan.server.console.events import default_event as only_active

    try:
        event = only_active(store)
    except IssuerError as exc:
        raise CliError(exc.message) from None
    if event is None:
        raise CliError(NO_EVENT)
    return event


def event_or_error(store: IssuerStore, event_id: int) -> StoredEvent:
    event = store.event(event_id)
    if event is None:
        raise CliError(f"unknown event {event_id}")
    return event


def republish(store: IssuerStore, settings: ServerSettings, event_id: int) -> ManifestInfo:
    """Write the event's manifest again (its sequence goes up by one)."""
    return write_manifest(store, event_id, settings.manifest_path(event_id))


def emit_transfer(as_json: bool, hex_id: str, serial: int, info: ManifestInfo,
                  whom: str, after: str) -> None:
    """What a transfer prints: the serials, and the manifest it rewrote."""
    emit(as_json,
         {"ticket_id": hex_id, "serial": serial, "previous_serial": serial - 1,
          "manifest": str(info.path), "manifest_sequence": info.sequence},
         f"Transferred ticket {hex_id} to {whom}: credential serial {serial - 1} -> "
         f"{serial}.\n{after}\nManifest sequence {info.sequence}: {info.path}")
