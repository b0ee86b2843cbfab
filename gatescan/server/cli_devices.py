"""`gatescan-server device …`: add (with enrollment QR), list, rename, move, revoke, code."""

from __future__ import annotations

import time
from pathlib import Path

import click

from gatescan.server import devices, server_url
from gatescan.server.cli_common import NO_EVENT, CliError, emit
from gatescan.server.console.events import default_event
from gatescan.server.errors import IssuerError
from gatescan.server.handshake import active_fingerprints, handshake_text, terminal_qr, write_png
from gatescan.server.settings import ServerSettings
from gatescan.server.store import IssuerStore


def _event_id(store: IssuerStore, event_id: int | None) -> int:
    try:
        event = store.event(event_id) if event_id is not None else default_event(store)
    except IssuerError as exc:
        raise CliError(exc.message) from None
    if event is None:
        raise CliError(f"no event {event_id}" if event_id is not None else
                       NO_EVENT)
    return event.event_id


def _when(t: float | None) -> str:
    return "-" if t is None else time.strftime("%Y-%m-%d %H:%M", time.localtime(t))


def _heard(d: devices.DeviceInfo, names: dict[str, str]) -> str:
    """'  heard: North (4 s before its report), …' for the text list; '' if it never said."""
    heard = d.mesh_heard
    if not heard or not heard["peers"]:
        return ""
    return "\n    heard: " + ", ".join(
        f"{names.get(p['device_id'], p['device_id'])} "
        f"({max(0.0, heard['reported_at'] - p['at']):.0f} s before its report)"
        for p in heard["peers"])


def _info(d: devices.DeviceInfo) -> dict[str, object]:
    return {"device_id": d.device_id, "event_id": d.event_id, "name": d.name, "gate": d.gate,
            "status": d.status, "created_at": d.created_at, "enrolled_at": d.enrolled_at,
            "revoked_at": d.revoked_at, "last_seen_at": d.last_seen_at, **d.chain_fields(),
            **d.report_fields()}


def _show_enrollment(settings: ServerSettings, e: devices.Enrollment, url: str | None,
                     png: Path | None, as_json: bool, keys: list[str]) -> None:
    server = _server_url(settings, url)
    text = handshake_text(server.url, e.code, keys)
    path = write_png(text, png or settings.enroll_dir / f"{e.device.device_id}.png")
    d = e.device
    if as_json:
        emit(True, {**_info(d), "code": e.code, "expires_at": e.expires_at, "handshake": text,
                     "png": str(path), "server_url": server.url, "warning": server.warning}, "")
        return
    click.echo(f"Device {d.device_id} \"{d.name}\" (event {d.event_id}, gate {d.gate or '-'})\n"
               f"Enrollment code: {e.code}  (works once, until {_when(e.expires_at)})\n"
               f"{terminal_qr(text)}Handshake: {text}\nQR image: {path}")
    if server.warning:
        click.echo(f"warning: {server.warning}", err=True)


def _server_url(settings: ServerSettings, url: str | None) -> server_url.ServerUrl:
    """The server address for a handshake; a malformed --url is a usage error."""
    try:
        return server_url.resolve(settings, url)
    except server_url.BadServerUrl as exc:
        raise click.BadParameter(str(exc), param_hint="--url") from None


@click.group()
def device() -> None:
    """Gate devices: enrollment codes and management."""


@device.command("add")
@click.argument("name")
@click.option("--gate", default=None, help="The gate it stands at (one of the event's gates).")
@click.option("--event", "event_id", type=click.IntRange(1, 0xFFFFFFFF), default=None,
              help="Event id [default: the most recent event].")
@click.option("--url", default=None, help="Server URL for the handshake [default: "
              "$GATESCAN_SERVER_URL, else the URL the server was last started with].")
@click.option("--png", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the QR here [default: DATA/enroll/DEVICE_ID.png].")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (no terminal QR).")
@click.pass_obj
def add(settings: ServerSettings, name: str, gate: str | None, event_id: int | None,
        url: str | None, png: Path | None, as_json: bool) -> None:
    """Create a device and print its one-time enrollment code, as text and QR."""
    with IssuerStore.open(settings) as store:
        e = devices.add_device(store, _event_id(store, event_id), name, gate,
                               ttl=settings.enroll_code_ttl, now=time.time())
        keys = active_fingerprints(store, e.device.event_id)
    _show_enrollment(settings, e, url, png, as_json, keys)


@device.command("code")
@click.argument("device_id")
@click.option("--url", default=None, help="Server URL for the handshake.")
@click.option("--png", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def code(settings: ServerSettings, device_id: str, url: str | None, png: Path | None,
         as_json: bool) -> None:
    """A new enrollment code for a device (the old one stops working)."""
    with IssuerStore.open(settings) as store:
        e = devices.new_code(store, device_id, ttl=settings.enroll_code_ttl, now=time.time())
        keys = active_fingerprints(store, e.device.event_id)
    _show_enrollment(settings, e, url, png, as_json, keys)


@device.command("list")
@click.option("--event", "event_id", type=click.IntRange(1, 0xFFFFFFFF), default=None)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def list_(settings: ServerSettings, event_id: int | None, as_json: bool) -> None:
    """The event's devices."""
    with IssuerStore.open(settings) as store:
        eid = _event_id(store, event_id)
        found = devices.list_devices(store, eid)
    names = {d.device_id: d.name for d in found}
    lines = [f"{d.device_id}  {d.status:<8} {d.gate or '-':<16} {d.name}  "
             f"(last seen {_when(d.last_seen_at)}"
             f"{f', app {d.app_version}' if d.app_version else ''}"
             f"{f', {d.pending_uploads} unsent' if d.pending_uploads else ''}"
             f"{f', log checkpoint {d.checkpoint.seq}' if d.checkpoint else ''})"
             f"{'  CHAIN MISMATCH: its scan log was rewritten' if d.chain_mismatch else ''}"
             f"{_heard(d, names)}"
             for d in found]
    emit(as_json, {"event_id": eid, "devices": [_info(d) for d in found]},
          "\n".join(lines) or "no devices")


@device.command("rename")
@click.argument("device_id")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def rename(settings: ServerSettings, device_id: str, name: str, as_json: bool) -> None:
    """Rename a device."""
    with IssuerStore.open(settings) as store:
        d = devices.update_device(store, device_id, name=name)
    emit(as_json, _info(d), f"{d.device_id} is now \"{d.name}\"")


@device.command("move")
@click.argument("device_id")
@click.argument("gate")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def move(settings: ServerSettings, device_id: str, gate: str, as_json: bool) -> None:
    """Move a device to another gate of its event."""
    with IssuerStore.open(settings) as store:
        d = devices.update_device(store, device_id, gate=gate)
    emit(as_json, _info(d), f"{d.device_id} \"{d.name}\" is now at {d.gate}")


@device.command("revoke")
@click.argument("device_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def revoke(settings: ServerSettings, device_id: str, as_json: bool) -> None:
    """Revoke a device for good: the server refuses it and it wipes its event data."""
    with IssuerStore.open(settings) as store:
        d, already = devices.revoke_device(store, device_id, now=time.time())
    emit(as_json, {**_info(d), "already_revoked": already},
          f"{'Already revoked' if already else 'Revoked'}: {d.device_id} \"{d.name}\"")
