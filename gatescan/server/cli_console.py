"""`gatescan-server account …` and `event …`: the console's organizer tasks on the command line.

`account add EMAIL --role owner --event ID|--all` (password from a prompt, or one line
on stdin with `--password-stdin`); `event create --from event.toml`, `event list`,
`event archive ID`; `scans import FILE` (a gate's export off a USB stick). Each takes
`--json`. A bad file or plan exits 2 with the reason.
"""

from __future__ import annotations

import sys
import time
import tomllib
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from gatescan.protocol import scan_export
from gatescan.server import scan_import
from gatescan.server.cli_common import CliError, default_event, emit, read_upload
from gatescan.server.console import accounts, audit, events, plans, roles
from gatescan.server.errors import IssuerError
from gatescan.server.settings import ServerSettings
from gatescan.server.store import IssuerStore

CLI_ACTOR = "cli"


@click.group("account")
def account() -> None:
    """Organizer accounts for the web console (/console)."""


@account.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(["owner", "staff", "viewer"]), required=True,
              help="owner: everything; staff: dashboard, devices, lookups; viewer: read-only.")
@click.option("--event", "event_id", type=click.IntRange(1, 0xFFFFFFFF), default=None,
              help="The event the role is for.")
@click.option("--all", "all_events", is_flag=True, help="The role on every event.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of stdin instead of a prompt.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def account_add(settings: ServerSettings, email: str, role: str, event_id: int | None,
                all_events: bool, password_stdin: bool, as_json: bool) -> None:
    """Create an account (or add a role to an existing one) for EMAIL."""
    if (event_id is None) == (not all_events):
        raise CliError("give exactly one of --event ID and --all")
    with IssuerStore.open(settings) as store:
        if event_id is not None and store.event(event_id) is None:
            raise CliError(f"no event {event_id}")
        try:
            address = accounts.normalize_email(email)
            account_id = accounts.account_by_email(store, address)
            created = account_id is None
            if account_id is None:
                password = _password(password_stdin)
                account_id = accounts.create_account(store, address, password, now=time.time())
        except IssuerError as exc:
            raise CliError(exc.message) from None
        scope = roles.ALL_EVENTS if event_id is None else event_id
        roles.grant(store, account_id, roles.Role.parse(role), scope)
        audit.record(store, CLI_ACTOR, "account_grant", event_id=event_id,
                     details={"account": address, "role": role}, now=time.time())
    where = "every event" if event_id is None else f"event {event_id}"
    emit(as_json, {"account_id": account_id, "email": address, "role": role,
                    "event_id": event_id, "created": created},
          f"{'Created' if created else 'Updated'} {address}: {role} on {where}")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True,
                                err=True)
    accounts.check_password(password)
    return password


@click.group("event")
def event() -> None:
    """Events: create from a TOML file, list, archive (docs/console.md)."""


def _out(store: IssuerStore, v: events.EventView) -> dict[str, Any]:
    return {"event_id": v.event.event_id, "name": v.event.name, "venue": v.venue, "tz": v.tz,
            "start": plans.local_text(v.starts_at, v.tz) or None,
            "archived": v.archived, "draft": v.draft, "tickets": v.tickets, "scans": v.scans}


@event.command("create")
@click.option("--from", "source", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="The event file (TOML, see docs/console.md).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def event_create(settings: ServerSettings, source: Path, as_json: bool) -> None:
    """Create an event from a TOML file."""
    try:
        doc = tomllib.loads(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CliError(f"cannot read {source}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CliError(f"{source} is not valid TOML: {exc}") from None
    try:
        plan = plans.build_plan(doc)
    except IssuerError as exc:
        raise CliError(f"{source}: {exc.message}") from None
    with IssuerStore.open(settings) as store:
        event_id = events.create(store, plan)
        audit.record(store, CLI_ACTOR, "event_create", event_id=event_id,
                     details={"name": plan.policy.name, "from": source.name}, now=time.time())
        found = store.event(event_id)
        assert found is not None
        data = _out(store, events.view(store, found))
    emit(as_json, data, f"Created event {event_id} ({data['name']})")


@event.command("list")
@click.option("--archived", is_flag=True, help="List archived events instead.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def event_list(settings: ServerSettings, archived: bool, as_json: bool) -> None:
    """Active events (or archived ones), most recent first."""
    with IssuerStore.open(settings) as store:
        rows = [_out(store, v) for v in events.views(store, archived=archived)]
    if as_json:
        emit(True, {"events": rows}, "")
        return
    if not rows:
        click.echo("No archived events." if archived else "No active events.")
    for r in rows:
        flags = " (draft)" if r["draft"] else ""
        click.echo(f"{r['event_id']}\t{r['name']}{flags}\t{r['venue']}\t{r['start'] or '-'}"
                   f"\t{r['tz']}\t{r['tickets']} tickets")


@event.command("archive")
@click.argument("event_id", type=click.IntRange(1, 0xFFFFFFFF))
@click.option("--restore", is_flag=True, help="Make an archived event active again.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def event_archive(settings: ServerSettings, event_id: int, restore: bool,
                  as_json: bool) -> None:
    """Archive an event: hidden from default lists, never the default event."""
    with IssuerStore.open(settings) as store:
        try:
            events.set_archived(store, event_id, not restore)
        except IssuerError as exc:
            raise CliError(exc.message) from None
        audit.record(store, CLI_ACTOR, "event_restore" if restore else "event_archive",
                     event_id=event_id, details={}, now=time.time())
    emit(as_json, {"event_id": event_id, "archived": not restore},
          f"{'Restored' if restore else 'Archived'} event {event_id}")


@click.group("scans")
def scans() -> None:
    """Scans: import a gate's export file off a USB stick (docs/console.md)."""


@scans.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--event", "event_id", type=click.IntRange(1, 0xFFFFFFFF), default=None,
              help="The event [default: the one the file names, else the only active one].")
@click.option("--device", "device_id", default=None, metavar="DEVICE_ID",
              help="The gate device the file came from (dev_…), for rows that do not say.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def scans_import(settings: ServerSettings, file: Path, event_id: int | None,
                 device_id: str | None, as_json: bool) -> None:
    """Import FILE (`gatescan export-scans` JSON Lines, or the kiosk's CSV) for an event.

    Every scan is stored once: importing twice, or after the gate synced, counts duplicates.
    Exit status 1 when some rows were rejected (the others are stored), 2 for a bad file.
    """
    data = read_upload(file, scan_export.MAX_FILE)
    try:
        export = scan_export.read_export(data)
    except scan_export.ExportFileError as exc:
        raise CliError(f"{file}: {exc.message}") from None
    with IssuerStore.open(settings) as store:
        event_id = _import_event(store, export, event_id)
        try:
            report = scan_import.import_file(store, event_id, export, device_id=device_id)
        except IssuerError as exc:
            raise CliError(exc.message) from None
        audit.record(store, CLI_ACTOR, "scans_import", event_id=event_id,
                     details={"file": file.name, **report.totals()}, now=time.time())
    totals = report.totals()
    if as_json:
        emit(True, {"event_id": event_id, "format": report.form, **totals,
                    "results": [asdict(r) for r in report.results]}, "")
    else:
        for r in report.results:
            if r.status in (scan_import.SKIPPED, "rejected"):
                click.echo(f"line {r.line}: {r.status}: {r.error}")
        click.echo(f"Event {event_id}, {file.name} ({report.form.upper()}): "
                   f"{totals['stored']} stored, {totals['duplicate']} duplicate, "
                   f"{totals['rejected']} rejected, {totals['skipped']} skipped; "
                   f"{totals['conflicts']} in a conflict")
    if totals["rejected"]:  # the rest is stored; the exit status must not hide the lost rows
        raise SystemExit(1)


def _import_event(store: IssuerStore, export: scan_export.ExportFile,
                  event_id: int | None) -> int:
    """The event named on the command line, else by the file, else the only active one."""
    if event_id is not None:
        if store.event(event_id) is None:
            raise CliError(f"no event {event_id}")
        return event_id
    named = export.event_ids()
    if len(named) > 1:
        raise CliError("the file holds scans of events " + ", ".join(map(str, sorted(named)))
                       + ": pass --event ID")
    if named:
        return named.pop()
    return default_event(store).event_id
