"""`gatescan-server tickets issue|link` (formerly `ticket …`, still accepted): the one-time
wallet link of a ticket, as text and QR code. The group is assembled in `cli_tickets`."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlsplit

import click

from gatescan.server import server_url
from gatescan.server.cli_common import NO_EVENT, TICKET_ID, CliError, emit
from gatescan.server.handshake import terminal_qr, write_png
from gatescan.server.settings import ServerSettings
from gatescan.server.store import IssuerStore
from gatescan.server.wallet import links

DAY = 24 * 3600


def server_base(settings: ServerSettings, url: str | None) -> server_url.ServerUrl:
    try:
        return server_url.resolve(settings, url)
    except server_url.BadServerUrl as exc:
        raise click.BadParameter(str(exc), param_hint="--url") from None


def _secure_warning(base: str) -> str | None:
    parts = urlsplit(base)
    if parts.scheme == "https" or server_url.is_loopback(base):
        return None
    return ("Phones make their ticket key only on HTTPS pages: serve the wallet over HTTPS "
            "(docs/wallet.md) and pass that address with --url.")


def show_link(settings: ServerSettings, link: links.NewLink, url: str | None, png: Path | None,
          as_json: bool, extra: dict[str, object]) -> None:
    server = server_base(settings, url)
    text = links.link_url(server.url, link.token)
    written = write_png(text, png.absolute()) if png is not None else None
    warning = " ".join(w for w in (server.warning, _secure_warning(server.url)) if w) or None
    data = {"ticket_id": f"{link.ticket_id:016x}", "kind": link.kind, "url": text,
            "expires_at": link.expires_at, "png": str(written) if written else None,
            "warning": warning, **extra}
    expires = time.strftime("%Y-%m-%d %H:%M", time.localtime(link.expires_at))
    emit(as_json, data,
          f"{terminal_qr(text)}\n{text}\n\nTicket {data['ticket_id']}: open this link on the "
          f"holder's phone. It works once, until {expires}; a newer link replaces it."
          + (f"\nQR code written to {written}" if written else ""))
    if warning and not as_json:
        click.echo(f"warning: {warning}", err=True)


URL_OPTION = click.option("--url", default=None, metavar="URL",
                          help="The server address phones open (HTTPS) [default: "
                               "$GATESCAN_SERVER_URL, else the URL the server was last "
                               "started with].")
PNG_OPTION = click.option("--png", type=click.Path(dir_okay=False, path_type=Path),
                          default=None, help="Also write the QR code as a PNG file.")
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")


@click.group()
def ticket() -> None:
    """Wallet links: put a ticket on an attendee's phone."""


@ticket.command("link")
@click.argument("ticket_id", type=TICKET_ID)
@URL_OPTION
@PNG_OPTION
@JSON_OPTION
@click.pass_obj
def link_command(settings: ServerSettings, ticket_id: int, url: str | None, png: Path | None,
                 as_json: bool) -> None:
    """A one-time link (and QR code) that moves TICKET_ID onto the phone that opens it."""
    with IssuerStore.open(settings) as store:
        made = links.create_link(store, ticket_id, now=time.time())
    show_link(settings, made, url, png, as_json, {})


@ticket.command("issue")
@click.option("--event", "event_id", type=int, default=None,
              help="Event id [default: the most recent event].")
@click.option("--type", "type_id", type=click.IntRange(0, 0xFFFF), required=True,
              help="Ticket type id of the event.")
@click.option("--seat", default=None, help="Seat, e.g. 'Block C, row 4, seat 12'.")
@click.option("--valid-from", type=click.IntRange(0, 0xFFFFFFFF), default=None,
              metavar="UNIX_TIME", help="[default: now]")
@click.option("--valid-until", type=click.IntRange(0, 0xFFFFFFFF), default=None,
              metavar="UNIX_TIME", help="[default: 7 days from now]")
@URL_OPTION
@PNG_OPTION
@JSON_OPTION
@click.pass_obj
def issue_command(settings: ServerSettings, event_id: int | None, type_id: int,
                  seat: str | None, valid_from: int | None, valid_until: int | None,
                  url: str | None, png: Path | None, as_json: bool) -> None:
    """Issue a new ticket for a phone and print its one-time link."""
    now = time.time()
    with IssuerStore.open(settings) as store:
        event = store.event(event_id) if event_id is not None else store.latest_event()
        if event is None:
            raise CliError(f"no event {event_id}" if event_id is not None else
                           NO_EVENT)
        start = int(now) if valid_from is None else valid_from
        end = start + 7 * DAY if valid_until is None else valid_until
        _, made = links.issue_with_link(store, event.event_id, type_id, start, end, seat,
                                        now=now)
    show_link(settings, made, url, png, as_json,
          {"event_id": event.event_id, "type_id": type_id, "seat": seat,
           "valid_from": start, "valid_until": end})
