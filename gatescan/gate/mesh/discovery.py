"""Finding peers on the LAN with DNS-SD over mDNS (python-zeroconf): addresses only, never trust.

Each gate announces `DEVICE_ID._gatescan._udp.local.` at its mesh address with
TXT `v=1`, `d=DEVICE_ID`, `e=EVENT_ID`. What a browser finds is handed to the
node as "this device may be at HOST:PORT"; the node uses it only for a device of
its roster (keys still come from the server alone: a stranger that announces
itself gets nothing, and its messages are refused as `unknown_device` anyway),
and only for this gate's event. The TXT parser takes outside input and never
raises (`parse_txt`, property-tested).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from typing import Any

from gatescan.protocol.mesh import DEVICE_ID

log = logging.getLogger(__name__)

SERVICE = "_gatescan._udp.local."
TXT_VERSION = b"1"
RESOLVE_MS = 1500
MAX_TXT_VALUE = 64

Found = Callable[[str, int, tuple[str, int]], None]  # device id, event id, address


def parse_txt(properties: Any) -> tuple[str, int] | None:
    """(device id, event id) from a DNS-SD TXT record's properties; None if it is not ours."""
    if not isinstance(properties, dict):
        return None
    version, device, event = (properties.get(k) for k in (b"v", b"d", b"e"))
    if version != TXT_VERSION or not isinstance(device, bytes) or \
            not isinstance(event, bytes) or len(event) > 10:
        return None
    try:
        device_id, event_text = device.decode("ascii"), event.decode("ascii")
    except UnicodeDecodeError:
        return None
    if not DEVICE_ID.fullmatch(device_id) or not event_text.isdigit() or \
            not event_text.isascii() or not 0 < int(event_text) <= 0xFFFFFFFF:
        return None
    return device_id, int(event_text)


def txt_of(device_id: str, event_id: int) -> dict[str, str]:
    """The TXT properties this gate announces."""
    return {"v": TXT_VERSION.decode(), "d": device_id, "e": str(event_id)}


def _own_ip(host: str) -> str:
    """The address to announce: the listen host, or (0.0.0.0) the one multicast leaves from."""
    if host not in ("0.0.0.0", ""):
        return host
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("224.0.0.251", 5353))  # no packet is sent: only a route lookup
            return str(probe.getsockname()[0])
        except OSError:
            return "127.0.0.1"


class Discovery:
    """Announce this gate's mesh address and browse for the event's other gates (a thread of
    zeroconf's own); `found(device_id, event_id, (host, port))` is called for each answer."""

    def __init__(self, device_id: str, event_id: int, listen: tuple[str, int],
                 found: Found) -> None:
        from zeroconf import InterfaceChoice, IPVersion, ServiceBrowser, ServiceInfo, Zeroconf

        self.device_id, self.event_id, self.found = device_id, event_id, found
        host, port = listen
        ip = _own_ip(host)
        interfaces: Any = InterfaceChoice.Default if host in ("0.0.0.0", "") else [host]
        self._zc = Zeroconf(interfaces=interfaces, ip_version=IPVersion.V4Only)
        try:
            self._info = ServiceInfo(SERVICE, f"{device_id}.{SERVICE}",
                                     addresses=[socket.inet_aton(ip)], port=port,
                                     properties=txt_of(device_id, event_id),
                                     server=f"gatescan-{device_id}.local.")
            self._zc.register_service(self._info, allow_name_change=False)
            self._browser = ServiceBrowser(self._zc, SERVICE, handlers=[self._changed])
        except BaseException:
            self._zc.close()
            raise
        log.info("mesh discovery: announcing %s:%d on mDNS", ip, port)

    def _changed(self, zeroconf: Any, service_type: str, name: str, state_change: Any) -> None:
        from zeroconf import IPVersion, ServiceStateChange

        if state_change not in (ServiceStateChange.Added, ServiceStateChange.Updated):
            return
        try:
            info = zeroconf.get_service_info(service_type, name, timeout=RESOLVE_MS)
        except Exception as exc:  # a peer's bad answer must not stop the browsing
            log.debug("mesh discovery: cannot resolve %s: %s", name[:80], exc)
            return
        if info is None or not info.port:
            return
        who = parse_txt(info.properties)
        addresses = info.parsed_addresses(IPVersion.V4Only)
        if who is None or not addresses or who[0] == self.device_id:
            return
        self.found(who[0], who[1], (addresses[0], int(info.port)))

    def close(self) -> None:
        """Withdraw the announcement and stop browsing."""
        try:
            self._browser.cancel()
            self._zc.unregister_service(self._info)
        finally:
            self._zc.close()


def start(device_id: str, event_id: int, listen: tuple[str, int],
          found: Found) -> Discovery | None:
    """Discovery if it can run here; None (and a log line) without zeroconf or multicast."""
    try:
        return Discovery(device_id, event_id, listen, found)
    except ImportError:
        log.warning("mesh discovery is off: python-zeroconf is not installed "
                    "(pip install 'gatescan[gate]')")
    except OSError as exc:
        log.warning("mesh discovery is off: mDNS cannot start here (%s)", exc)
    return None
