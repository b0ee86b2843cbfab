"""`gatescan mesh`: run this gate's mesh node until stopped (headless, beside the scanner).

Waits for what the mesh needs (an enrolled gate, a loaded event, a roster: cached
or from the server), then serves. A thread renews the roster from the server
every `roster_every` seconds while it can be reached; when it cannot, the cached
roster keeps the mesh going (that is the point).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
from nacl.signing import SigningKey

from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.mesh import discovery
from gatescan.gate.mesh.node import MeshNode, read_status
from gatescan.gate.mesh.store import MeshStore
from gatescan.gate.sync import mesh_keys as keys
from gatescan.gate.sync.client import make_http_client
from gatescan.gate.sync.clock import CLOCK_KEY, GateClock
from gatescan.gate.sync.credentials import Credentials
from gatescan.gate.sync.mesh_announce import AnnounceError, announce, heard_from_status
from gatescan.gate.sync.mesh_roster import MeshSettings, Roster

log = logging.getLogger(__name__)

ANNOUNCE_TIMEOUT = httpx.Timeout(3.0, connect=1.0)


class MeshNotReady(Exception):
    """What the mesh still lacks (not enrolled, no event, no roster), in plain words."""


def _refresh(data_dir: Path, creds: Credentials, key: SigningKey,
             address: str | None, http: httpx.Client) -> Roster | None:
    # Who this gate heard, as its node last wrote it (the file, not the node's live state:
    # this runs beside the node's loop); only once the node runs (an address to announce).
    heard = None if address is None else heard_from_status(read_status(data_dir))
    try:
        roster = announce(http, creds, key, address, heard)
    except AnnounceError as exc:
        log.info("mesh roster not renewed (%s): keeping the cached one", exc.code)
        return None
    roster.save(data_dir)
    return roster


def run_mesh(data_dir: Path, settings: MeshSettings, *, stop: threading.Event,
             ready: Callable[[MeshNode], None] | None = None) -> None:
    """Serve the mesh until `stop` is set; `MeshNotReady` if it cannot start."""
    creds = Credentials.load(data_dir)
    if creds is None:
        raise MeshNotReady("this gate is not enrolled: the mesh trusts only the event's "
                           "enrolled devices")
    key = keys.load_or_create(data_dir)
    with make_http_client(ANNOUNCE_TIMEOUT) as http:
        roster = _refresh(data_dir, creds, key, None, http) or Roster.load(data_dir)
        if roster is None:
            raise MeshNotReady("no mesh roster yet: the server must be reached once")
        ledger = Ledger(data_dir / "ledger.db")
        try:
            clock = GateClock()
            clock.restore(ledger.sync_state(CLOCK_KEY))
            node = MeshNode(MeshStore(ledger), device_id=creds.device_id, key=key,
                            roster=roster, settings=settings, clock=clock.now,
                            data_dir=data_dir)
        except BaseException:
            ledger.close()
            raise
        renewer = threading.Thread(target=_renew, name="mesh-roster", daemon=True,
                                   args=(data_dir, creds, key, node, http, stop, settings))
        found = None
        try:
            renewer.start()
            if settings.discovery:
                host, port = node.sock.getsockname()[:2]
                found = discovery.start(creds.device_id, node.event_id, (host, port),
                                        node.offer_discovered)
            watcher = threading.Thread(target=_stop_when, args=(stop, node), daemon=True)
            watcher.start()
            if ready is not None:
                ready(node)
            log.info("mesh listening on %s (%d gates in the roster)", node.address,
                     len(roster.active_peers(creds.device_id)) + 1)
            node.serve()
        finally:
            stop.set()
            if found is not None:
                found.close()
            renewer.join(timeout=5)
            node.close()
            ledger.close()


def _stop_when(stop: threading.Event, node: MeshNode) -> None:
    stop.wait()
    node.stop()


def _renew(data_dir: Path, creds: Credentials, key: SigningKey, node: MeshNode,
           http: httpx.Client, stop: threading.Event, settings: MeshSettings) -> None:
    first = True
    while not stop.wait(0.2 if first else settings.roster_every):
        first = False
        roster = _refresh(data_dir, creds, key, node.address, http)
        if roster is not None:
            node.offer_roster(roster)
