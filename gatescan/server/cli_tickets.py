"""`gatescan-server tickets …`: import an attendee list; plus `issue` and `link` (wallet links).

`tickets import FILE` issues a ticket and a one-time wallet link per new row
(`gatescan.server.attendees`); `--links-out` writes the mail-merge CSV. Exit status:
0 when every row was issued or already there, 1 when some rows were rejected, 2 on
a usage error (no such file or event, a file that is no attendee list). The old
group name `ticket` keeps working (hidden).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from gatescan.protocol.files import atomic_write
from gatescan.server import attendees
from gatescan.server.cli_common import CliError, default_event, emit, read_upload
from gatescan.server.console import audit
from gatescan.server.settings import ServerSettings
from gatescan.server.store import IssuerStore, StoredEvent
from gatescan.server.wallet import cli as cli_wallet
from gatescan.server.wallet import links

CLI_ACTOR = "cli"


@click.group("tickets")
def tickets() -> None:
    """Tickets: import an attendee list, issue one, a wallet link for a phone."""


def _event(store: IssuerStore, event_id: int | None, as_json: bool) -> StoredEvent:
    if event_id is not None:
        found = store.event(event_id)
        if found is None:
            raise CliError(f"no event {event_id}")
        return found
    found = default_event(store)  # the only active event, else a usage error naming them
    if not as_json:
        click.echo(f"note: importing into event {found.event_id} ({found.name}), the only "
                   "active event; pass --event ID to choose", err=True)
    return found


def _row(r: attendees.RowResult, url: str | None) -> dict[str, Any]:
    return {"line": r.line, "status": r.status, "order_code": r.order_code, "name": r.name,
            "seat": r.seat, "type": r.type_name, "ticket_id": r.ticket or None,
            "link": url, "code": r.code, "error": r.error}


@tickets.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--event", "event_id", type=click.IntRange(1, 0xFFFFFFFF), default=None,
              help="The event [default: the only active event].")
@cli_wallet.URL_OPTION
@click.option("--links-out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="CSV", help="Write the mail-merge CSV (order_code, name, seat, type, "
                                  "ticket, link) of the file's tickets no phone holds yet "
                                  "(issued before: new links, the older ones stop working).")
@cli_wallet.JSON_OPTION
@click.pass_context
def import_command(ctx: click.Context, file: Path, event_id: int | None, url: str | None,
                   links_out: Path | None, as_json: bool) -> None:
    """Issue a ticket and a one-time wallet link for each new row of an attendee CSV.

    Columns: order_code and type (required; a type id or name), seat, name, valid_from,
    valid_until. Importing the same file again issues nothing twice (docs/console.md).
    """
    settings: ServerSettings = ctx.obj
    base = cli_wallet.server_base(settings, url)
    data = read_upload(file, attendees.MAX_BYTES)
    try:
        parsed = attendees.read_file(data)
    except attendees.AttendeeFileError as exc:
        raise CliError(f"{file}: {exc.message}") from None
    with IssuerStore.open(settings) as store:
        event = _event(store, event_id, as_json)
        report = attendees.import_rows(store, event.event_id, parsed, now=time.time())
        audit.record(store, CLI_ACTOR, "tickets_import", event_id=event.event_id,
                     details={"file": file.name, **report.totals()}, now=time.time())
        urls = {r.line: links.link_url(base.url, r.link.token) for r in report.results
                if r.link}
        relinked = _relink(store, event.event_id, report, base.url, urls) \
            if links_out is not None else 0
    if links_out is not None:
        text = attendees.mail_merge_csv([(r, urls[r.line]) for r in report.results
                                         if r.line in urls])
        atomic_write(links_out.absolute(), text.encode("utf-8"))  # claim links: private
    totals = report.totals()
    if as_json:
        emit(True, {"event_id": event.event_id, **totals, "ignored_columns":
                    report.ignored_columns, "links_out": str(links_out) if links_out else None,
                    "results": [_row(r, urls.get(r.line)) for r in report.results]}, "")
    else:
        for r in report.results:
            if r.status == attendees.REJECTED:
                click.echo(f"line {r.line}: rejected ({r.code}): {r.error}")
        if report.ignored_columns:
            click.echo("ignored columns: " + ", ".join(report.ignored_columns))
        click.echo(f"Event {event.event_id}, {file.name}: {totals['issued']} issued, "
                   f"{totals['already']} already issued, {totals['rejected']} rejected"
                   + (f"; links for mail merge: {links_out}" if links_out else
                      ("; pass --links-out to get the new tickets' links" if urls else "")))
        if relinked:
            click.echo(f"{relinked} tickets issued before and not yet on a phone got new "
                       "links in that file: their older links no longer work")
    if base.warning and urls and not as_json:
        click.echo(f"warning: {base.warning}", err=True)
    if totals["rejected"]:
        if not as_json:
            click.echo(f"{totals['rejected']} rows were rejected: fix them and import the "
                       "file again (rows already issued are not issued twice)", err=True)
        ctx.exit(1)


def _relink(store: IssuerStore, event_id: int, report: attendees.ImportReport, base: str,
            urls: dict[int, str]) -> int:
    """New links, into `urls`, for the file's rows issued before that no phone holds yet
    (a first import without --links-out must not strand them); how many."""
    already = {r.ticket_id: r.line for r in report.results
               if r.status == attendees.ALREADY and r.ticket_id is not None}
    if not already:
        return 0
    found = attendees.search(store, event_id, "", ids=list(already), limit=len(already))
    made = attendees.fresh_links(store, event_id, [t for t in found if attendees.unclaimed(t)],
                                 now=time.time())
    for ticket, link in made:
        urls[already[ticket.ticket_id]] = links.link_url(base, link.token)
    return len(made)


for _command in list(cli_wallet.ticket.commands.values()):
    tickets.add_command(_command)

legacy = click.Group("ticket", commands=tickets.commands, hidden=True,
                     help="The old name of `tickets`.")
