"""Which address a handshake or wallet link carries: the one the running server was started with.

`gatescan-server serve` records the URL it serves at in the data directory;
`device add`, `device code` and `ticket link` read it when no `--url` (or
`$GATESCAN_SERVER_URL`) is given, so a QR code never points at a port the server
is not on. A loopback address in a code meant for a gate or phone on the LAN
gets a warning: nothing but this machine can reach it.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from gatescan.protocol.files import atomic_write
from gatescan.server.settings import ServerSettings

FALLBACK_URL = "http://127.0.0.1:8080"
RECORD_NAME = "server-url.json"
WILDCARD_HOSTS = {"0.0.0.0", "::", ""}


class BadServerUrl(ValueError):
    """A `--url` that is not an http(s) address of a host."""


@dataclass(frozen=True, slots=True)
class ServerUrl:
    """The URL to put in a code, where it came from, and what to warn the operator about."""

    url: str
    source: str  # "--url", "$GATESCAN_SERVER_URL", "running server", "fallback"
    warning: str | None = None


def check_url(text: str) -> str:
    """`text` as a base URL (no trailing slash); raises `BadServerUrl` if it is not one."""
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadServerUrl(f"{text!r} is not a server address like http://10.0.0.2:8080")
    try:
        _ = parts.port
    except ValueError:
        raise BadServerUrl(f"{text!r} has a bad port") from None
    if parts.query or parts.fragment:
        raise BadServerUrl(f"{text!r}: a server address has no ?query or #fragment")
    return text.strip().rstrip("/")


def is_loopback(url: str) -> bool:
    """True if only this machine can reach `url` (localhost, 127.0.0.0/8, ::1)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serving_url(host: str, port: int, public_url: str | None) -> str:
    """The URL `serve` announces: `--url` if given, else this machine's address and the port."""
    if public_url:
        return check_url(public_url)
    if host in WILDCARD_HOSTS:
        host = _lan_address() or socket.gethostname()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _lan_address() -> str | None:
    """A non-loopback IPv4 address of this machine's name, if it resolves to one (no traffic)."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return None
    for info in infos:
        address = str(info[4][0])
        if not ipaddress.ip_address(address).is_loopback:
            return address
    return None


def record(settings: ServerSettings, url: str) -> Path:
    """Write the URL the server now serves at into the data directory (atomically)."""
    path = settings.data_dir / RECORD_NAME
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps({"url": url, "pid": os.getpid(),
                                   "started_at": time.time()}).encode(), mode=None)
    return path


def recorded(settings: ServerSettings) -> str | None:
    """The URL the last started server recorded, or None (never started, or unreadable)."""
    try:
        data = json.loads((settings.data_dir / RECORD_NAME).read_text())
        return check_url(str(data["url"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def resolve(settings: ServerSettings, url: str | None) -> ServerUrl:
    """The URL for a code: `--url`, else the environment, else the running server, else 8080.

    Raises `BadServerUrl` for a malformed `--url`.
    """
    if url:
        chosen = ServerUrl(check_url(url), "--url")
    elif settings.public_url:
        chosen = ServerUrl(check_url(settings.public_url), "$GATESCAN_SERVER_URL")
    elif (found := recorded(settings)) is not None:
        chosen = ServerUrl(found, "running server")
    else:
        chosen = ServerUrl(FALLBACK_URL, "fallback",
                           f"no server has been started with this data directory, so the code "
                           f"points at {FALLBACK_URL}; start `gatescan-server serve` first or "
                           "pass --url http://SERVER-IP:PORT")
    if chosen.warning is None and is_loopback(chosen.url):
        return ServerUrl(chosen.url, chosen.source,
                         f"the code points at {chosen.url}, a loopback address only this "
                         "machine can reach: for a gate or phone on the LAN, serve with "
                         "--host 0.0.0.0 and pass --url http://SERVER-IP:PORT")
    return chosen
