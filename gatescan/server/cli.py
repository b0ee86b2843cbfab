"""`gatescan-server`: the offline issuer and the sync server on the command line.

Exit status: 0 on success, 2 on a usage error (bad or unknown ticket id, no
event yet) or an environment error (data directory not writable, database
locked), with the reason on stderr. The demo event and its simulated phones
are `gatescan-demo`'s (gatescan.demo), never this command's.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from gatescan.protocol.token import format_ticket_id
from gatescan.server import cli_console, cli_devices, cli_server, cli_tickets, issuer
from gatescan.server.cli_common import (
    TICKET_ID,
    CliError,
    ServerGroup,
    configure_logging,
    default_event,
    emit,
    emit_transfer,
    event_or_error,
    republish,
    require_event,
)
from gatescan.server.errors import IssuerError
from gatescan.server.handshake import active_fingerprints
from gatescan.server.settings import ServerSettings, load_settings
from gatescan.server.store import IssuerStore
from gatescan.server.wallet import cli as cli_wallet
from gatescan.server.wallet import links


@click.group(cls=ServerGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
    configure_logging(verbose)
    ctx.obj = load_settings(data_dir, database_url=database_url)


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
    with IssuerStore.open(settings) as store:
        require_event(store)
        before = store.ticket(ticket_id)
        if before is None:
            raise CliError(f"unknown ticket id {hex_id}")
        after = issuer.revoke(store, ticket_id, reason)
        already = before.status == after.status
        # Repeating a revocation changes nothing, so the manifest stays as it is.
        path = settings.manifest_path(after.event_id)
        sequence = (event_or_error(store, after.event_id).manifest_sequence if already
                    else republish(store, settings, after.event_id).sequence)
    text = (f"Already revoked: ticket {hex_id} ({after.revoked_reason}). Nothing changed;"
            f" manifest sequence stays {sequence}: {path}" if already else
            f"Revoked: ticket {hex_id} ({after.revoked_reason}).\n"
            f"Manifest sequence {sequence}: {path}")
    emit(as_json,
          {"ticket_id": hex_id, "status": after.status, "reason": after.revoked_reason,
           "already_revoked": already, "changed": not already, "manifest": str(path),
           "manifest_sequence": sequence}, text)


@main.command()
@click.argument("ticket_id", type=TICKET_ID)
@click.option("--holder-key", metavar="HEX",
              help="The new holder's Ed25519 public key (64 hex digits): the ticket moves to "
                   "it at once and its old credential is refused from the next sync.")
@click.option("--link", "by_link", is_flag=True,
              help="Instead, make a one-time transfer link: the ticket moves to the phone "
                   "that opens it (the old phone is refused from then on).")
@click.option("--url", default=None, metavar="URL",
              help="With --link: the server's address the phone can reach [default: the "
                   "serve --url, else http://127.0.0.1:8080].")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def transfer(settings: ServerSettings, ticket_id: int, holder_key: str | None, by_link: bool,
             url: str | None, as_json: bool) -> None:
    """Move a ticket to a new holder: their public key, or a transfer link for their phone."""
    if (holder_key is not None) == by_link:
        raise click.UsageError("give the new holder's --holder-key, or --link to make a "
                               "transfer link for their phone")
    hex_id = format_ticket_id(ticket_id)
    if by_link:
        with IssuerStore.open(settings) as store:
            require_event(store)
            made = links.create_link(store, ticket_id, kind=links.TRANSFER, now=time.time())
        cli_wallet.show_link(settings, made, url, None, as_json, {})
        return
    assert holder_key is not None
    try:
        key = bytes.fromhex(holder_key)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise click.BadParameter("expected 64 hex digits (a 32-byte Ed25519 public key)",
                                 param_hint="--holder-key")
    with IssuerStore.open(settings) as store:
        require_event(store)
        if store.ticket(ticket_id) is None:
            raise CliError(f"unknown ticket id {hex_id}")
        moved = issuer.transfer(store, ticket_id, key)
        info = republish(store, settings, moved.credential.event_id)
    emit_transfer(as_json, hex_id, moved.credential.serial, info,
                  f"holder key {holder_key[:16]}…", "The old credential is refused.")


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
    with IssuerStore.open(settings) as store:
        event = default_event(store) if event_id is None else store.event(event_id)
        if event is None:
            raise CliError(f"no event {event_id} in {settings.data_dir}")
        path = out if out is not None else settings.manifest_path(event.event_id)
        try:
            info = issuer.write_manifest(store, event.event_id, path.absolute())
        except OSError as exc:
            raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None
        fingerprint = active_fingerprints(store, event.event_id)[-1]
    emit(as_json,
          {"event_id": info.event_id, "manifest": str(info.path), "sequence": info.sequence,
           "tickets": info.tickets, "revocations": info.revocations,
           "fingerprint": fingerprint},
          f"Manifest of {event.name} (event {info.event_id}), sequence {info.sequence}: "
          f"{info.tickets} tickets, {info.revocations} revoked\n{info.path}\n"
          f"Signer key fingerprint (gatescan import-manifest --expect-key): {fingerprint}")


def _register() -> None:
    main.add_command(cli_server.serve)
    main.add_command(cli_server.admin_token)
    main.add_command(cli_devices.device)
    main.add_command(cli_tickets.tickets)
    main.add_command(cli_tickets.legacy)  # `ticket issue|link`, the old name
    main.add_command(cli_console.account)
    main.add_command(cli_console.event)
    main.add_command(cli_console.scans)


_register()
