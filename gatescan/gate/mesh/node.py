"""The mesh node: one UDP socket, one loop, the gate's own ledger connection.

- **Push.** Every few milliseconds the node asks SQLite whether another
  connection committed (`PRAGMA data_version`); if so it sends each new own scan
  of this gate to every peer at once, signed.
- **Receive.** A datagram is parsed (gatescan.protocol.mesh), believed only if the
  roster, the signature, the event, the clock and the counter agree
  (gatescan.gate.mesh.trust), and its scan is applied through the server feed's
  path (gatescan.gate.mesh.store).
- **Anti-entropy.** Every `heads_every` seconds each peer is told this gate's own
  log head and how far this gate holds *that peer's* log; a peer that sees it is
  behind answers with a bounded batch of what is missing, and a gate still behind
  asks again at once, so a gate cut off (or restarted) catches up.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import select
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nacl.signing import SigningKey

from gatescan.gate.ledger.errors import LedgerError
from gatescan.gate.mesh.store import (
    HAVE_PREFIX,
    SEEN_PREFIX,
    Incoming,
    MeshStore,
    SenderProgress,
)
from gatescan.gate.mesh.trust import Gatekeeper
from gatescan.gate.sync.mesh_roster import MeshSettings, Roster, RosterDevice, split_address
from gatescan.protocol.mesh import Heads, Kind, MeshFormatError, Message, PeerScan, encode, parse

log = logging.getLogger(__name__)

STATUS_FILE = "mesh-status.json"
POLL_S = 0.005          # how often the node looks for a new own scan
REASK_S = 0.05          # a gate still behind a peer asks again this soon
STATUS_EVERY_S = 1.0
RCVBUF = 4 << 20
IN_FLIGHT_S = 0.5       # a scan pushed this recently is in flight, not missing
RESEND_HOLD_S = 0.25    # the same resend goes to a peer again only after this long
MAX_DRAIN = 256         # datagrams handled before the node looks at its own log again
FLUSH_GAP_S = 0.010     # peer scans are written at most this often (one transaction per
                        # batch: under load, many per transaction; idle, no added wait)
MAX_DISCOVERED = 256    # addresses kept from mDNS (roster devices or not)


@dataclass(slots=True)
class PeerState:
    """What this node knows of one peer: where it is, when it spoke, how far behind we are."""

    device_id: str
    address: tuple[str, int] | None = None
    last_contact: float | None = None   # monotonic
    their_head: int = 0
    they_have: int = 0                  # how far the peer holds our log (from its heads)
    last_ask: float = 0.0
    resent_from: int = -1               # the `have` our latest resend to this peer started at
    resent_at: float = float("-inf")    # when (monotonic)


@dataclass(slots=True)
class Counters:
    """Traffic and decisions, for the status file and bench/mesh.py."""

    sent: int = 0
    sent_bytes: int = 0
    received: int = 0
    received_bytes: int = 0
    accepted: int = 0
    applied_scans: int = 0
    discovered: int = 0             # mDNS answers used for a roster peer's address
    discovered_ignored: int = 0     # mDNS answers for a device not in the roster, or not ours
    refused: dict[str, int] = field(default_factory=dict)


class MeshNode:
    """A gate's mesh participant (run `serve()` in its own thread or process)."""

    def __init__(self, store: MeshStore, *, device_id: str, key: SigningKey, roster: Roster,
                 settings: MeshSettings, clock: Callable[[], float] = time.time,
                 data_dir: Path | None = None) -> None:
        event_id = store.event_id()
        if event_id is None:
            raise ValueError("no event loaded: the mesh has nothing to share yet")
        self.store = store
        self.event_id = event_id
        self.me = device_id
        self.key = key
        self.settings = settings
        self.clock = clock
        self.data_dir = data_dir
        self.counters = Counters()
        self.gatekeeper = Gatekeeper(roster, device_id, event_id, clock, settings.window)
        self.gatekeeper.restore(store.remembered(SEEN_PREFIX))
        self._have = store.remembered(HAVE_PREFIX)
        self.progress: dict[str, SenderProgress] = {}
        self.peers: dict[str, PeerState] = {}
        self.static: list[tuple[str, int]] = [split_address(p) for p in settings.peers]
        self._counter = store.counter_start()
        self._reserved = store.reserve_counter(self._counter)
        self._pushed = store.own_head(event_id)
        self._settled = self._pushed
        self._recent: deque[tuple[float, int]] = deque()
        self._version = store.changed()
        self._stop = threading.Event()
        self._incoming: list[Incoming] = []
        self._burst_senders: set[str] = set()  # peers whose scans wait in _incoming
        self._offered: Roster | None = None
        self._found: list[tuple[str, int, tuple[str, int]]] = []
        self._discovered: dict[str, tuple[str, int]] = {}
        self._offer_lock = threading.Lock()
        self._random = random.Random()
        host, port = split_address(settings.listen)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # Room for bursts (an anti-entropy answer from every peer at once) while the loop
        # is in a write transaction; the kernel caps it at net.core.rmem_max.
        with contextlib.suppress(OSError):
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
        self.sock.bind((host, port))
        self.sock.setblocking(False)
        self.address = _addr(self.sock.getsockname())
        self.set_roster(roster)

    # -- roster and peers -----------------------------------------------------------------

    def set_roster(self, roster: Roster) -> None:
        """Use a (newer) roster: who is trusted, and where peers said they listen."""
        self.gatekeeper.roster = roster
        for dev in roster.active_peers(self.me):
            peer = self.peers.setdefault(dev.device_id, PeerState(dev.device_id))
            if dev.address is not None and peer.last_contact is None:
                with contextlib.suppress(ValueError):
                    peer.address = split_address(dev.address)
        for gone in [p for p in self.peers if p not in roster.devices
                     or roster.devices[p].revoked]:
            del self.peers[gone]
        for device_id, addr in self._discovered.items():
            self._use_discovered(device_id, addr)

    def offer_discovered(self, device_id: str, event_id: int, addr: tuple[str, int]) -> None:
        """From the discovery thread: mDNS says `device_id` of `event_id` is at `addr`."""
        with self._offer_lock:
            if len(self._found) < MAX_DISCOVERED:
                self._found.append((device_id, event_id, addr))

    def _take_discovered(self, device_id: str, event_id: int, addr: tuple[str, int]) -> None:
        """An address only, and only for a roster peer of this event (trust is the roster's)."""
        if event_id != self.event_id or (device_id not in self._discovered and
                                         len(self._discovered) >= MAX_DISCOVERED):
            self.counters.discovered_ignored += 1
            return
        self._discovered[device_id] = addr
        if self._use_discovered(device_id, addr):
            self.counters.discovered += 1
        else:
            self.counters.discovered_ignored += 1

    def _use_discovered(self, device_id: str, addr: tuple[str, int]) -> bool:
        dev = self.gatekeeper.roster.devices.get(device_id)
        if dev is None or dev.revoked or dev.status != "active" or device_id == self.me:
            return False
        peer = self.peers.setdefault(device_id, PeerState(device_id))
        # A believed message's source address is the best evidence; mDNS comes next.
        if peer.last_contact is None or \
                time.monotonic() - peer.last_contact > self.settings.contact_s:
            peer.address = addr
        return True

    def offer_roster(self, roster: Roster) -> None:
        """From another thread (the server round trip): use this roster from the next turn."""
        with self._offer_lock:
            self._offered = roster

    def _take_offer(self) -> None:
        with self._offer_lock:
            roster, self._offered = self._offered, None
            found, self._found = self._found, []
        if roster is not None:
            self.set_roster(roster)
        for item in found:
            self._take_discovered(*item)

    def _progress(self, dev: RosterDevice) -> SenderProgress:
        prog = self.progress.get(dev.sender_key)
        if prog is None:
            prog = self.progress[dev.sender_key] = SenderProgress(self._have.get(dev.sender_key,
                                                                                 0))
        return prog

    def _targets(self) -> list[tuple[tuple[str, int], str | None]]:
        seen: set[tuple[str, int]] = set()
        out: list[tuple[tuple[str, int], str | None]] = []
        for peer in self.peers.values():
            if peer.address is not None and peer.address not in seen:
                seen.add(peer.address)
                out.append((peer.address, peer.device_id))
        for addr in self.static:
            if addr not in seen and addr != self.sock.getsockname()[:2]:
                seen.add(addr)
                out.append((addr, None))
        return out

    # -- sending --------------------------------------------------------------------------

    def _next_counter(self) -> int:
        self._counter += 1
        if self._counter >= self._reserved:
            self._reserved = self.store.reserve_counter(self._counter)
        return self._counter

    def _send(self, kind: Kind, body: PeerScan | Heads, to: tuple[str, int]) -> None:
        self._transmit(self._encode(kind, body), to)

    def _encode(self, kind: Kind, body: PeerScan | Heads) -> bytes:
        return encode(kind, self.event_id, self.me, self._next_counter(), self.clock(), body,
                      self.key)

    def _transmit(self, data: bytes, to: tuple[str, int]) -> None:
        if self.settings.drop_rate and self._random.random() < self.settings.drop_rate:
            return  # fault injection (tests, bench): the datagram is lost
        try:
            self.sock.sendto(data, to)
        except OSError as exc:  # a peer gone, a full buffer: anti-entropy repairs it
            log.debug("mesh send to %s failed: %s", to, exc)
            return
        self.counters.sent += 1
        self.counters.sent_bytes += len(data)

    def push_new(self) -> int:
        """Send this gate's own scans committed since the last look; how many."""
        version = self.store.changed()
        if version == self._version:
            return 0
        self._version = version
        scans = self.store.own_after(self.event_id, self._pushed, 1000)
        targets = self._targets()
        for scan in scans:
            # One signed message for every peer: each receiver sees its counter once.
            data = self._encode("scan", scan)
            for addr, _ in targets:
                self._transmit(data, addr)
        if scans:
            self._pushed = scans[-1].seq
            self._recent.append((time.monotonic(), self._pushed))
        return len(scans)

    def _settled_head(self) -> int:
        """Our head as of IN_FLIGHT_S ago: what a peer may really be missing."""
        cutoff = time.monotonic() - IN_FLIGHT_S
        while self._recent and self._recent[0][0] < cutoff:
            self._settled = self._recent.popleft()[1]
        return self._settled

    def _heads_for(self, device_id: str | None) -> Heads:
        have: dict[str, int] = {}
        seen: dict[str, int] = {}
        if device_id is not None:
            dev = self.gatekeeper.roster.devices.get(device_id)
            if dev is not None:
                have[device_id] = self._progress(dev).have
                peer = self.peers.get(device_id)
                if peer is not None and peer.their_head > have[device_id]:
                    seen[device_id] = peer.their_head
        return Heads(self._pushed, have, seen)

    def send_heads(self, only: str | None = None) -> None:
        """Anti-entropy: tell peers our head and how far we hold each of them."""
        for addr, device_id in self._targets():
            if only is None or device_id == only:
                self._send("heads", self._heads_for(device_id), addr)

    # -- receiving ------------------------------------------------------------------------

    def handle(self, datagram: bytes, source: tuple[str, int]) -> str | None:
        """Decide on one datagram; the refusal reason, or None if it was believed."""
        self.counters.received += 1
        self.counters.received_bytes += len(datagram)
        try:
            msg = parse(datagram)
        except MeshFormatError:
            return self._refuse("malformed")
        dev, reason = self.gatekeeper.check(msg)
        if reason is not None or dev is None:
            return self._refuse(reason or "unknown_device")
        peer = self.peers.setdefault(dev.device_id, PeerState(dev.device_id))
        peer.address = (source[0], source[1])
        peer.last_contact = time.monotonic()
        if isinstance(msg.body, PeerScan):
            self._take(dev, msg, msg.body)
        else:
            self.gatekeeper.accept(dev, msg)
            self._answer(dev, peer, msg.body)
        self.counters.accepted += 1
        return None

    def _refuse(self, reason: str) -> str:
        self.counters.refused[reason] = self.counters.refused.get(reason, 0) + 1
        log.debug("refused a mesh message: %s", reason)
        return reason

    def _take(self, dev: RosterDevice, msg: Message, scan: PeerScan) -> None:
        """Queue a believed scan for the next `flush` (one transaction per drained burst)."""
        prog = self._progress(dev)
        self.gatekeeper.accept(dev, msg)
        self._incoming.append(Incoming(dev.device_id, dev.sender_key, scan, prog, msg.counter))
        peer = self.peers[dev.device_id]
        peer.their_head = max(peer.their_head, scan.seq)
        prog.note(scan.prev, scan.seq)
        self._burst_senders.add(dev.device_id)

    def flush(self) -> int:
        """Write the queued peer scans; rows added. On a ledger failure nothing is lost: the
        progress goes back to what is on disk and anti-entropy brings the scans again."""
        batch, self._incoming = self._incoming, []
        senders, self._burst_senders = self._burst_senders, set()
        if not batch:
            return 0
        try:
            added = self.store.apply(self.event_id, batch)
        except LedgerError as exc:  # disk full, locked too long
            log.warning("could not record %d peer scans: %s", len(batch), exc.message)
            self._refuse("ledger_error")
            self._have = self.store.remembered(HAVE_PREFIX)
            for item in batch:
                self.progress.pop(item.sender_key, None)
            return 0
        self.counters.applied_scans += added
        for device_id in senders:
            peer = self.peers.get(device_id)
            dev = self.gatekeeper.roster.devices.get(device_id)
            # Still behind after this burst: a gap (a datagram lost) or more to fetch. Ask
            # now, naming what we have seen, so the gap is resent at once.
            if peer is not None and dev is not None and \
                    self._progress(dev).have < peer.their_head:
                self._ask(peer)
        return added

    def _answer(self, dev: RosterDevice, peer: PeerState, heads: Heads) -> None:
        peer.their_head = max(peer.their_head, heads.head)
        they_have = heads.have.get(self.me, 0)
        peer.they_have = they_have
        # What the peer has seen past its `have` is known lost (not in flight): resend it
        # now; beyond that, only what was pushed more than IN_FLIGHT_S ago.
        limit = max(self._settled_head(), min(heads.seen.get(self.me, 0), self._pushed))
        now = time.monotonic()
        # A peer that asks again before our last resend reached it (its `have` has not moved
        # past where that resend started) gets nothing new: resending the same batch on
        # every ask would fill its receive buffer, lose more, and make it ask again
        # (congestion collapse). Once its `have` moves, or the resend is presumed lost
        # after RESEND_HOLD_S, it gets the next batch.
        fresh_ask = they_have > peer.resent_from or now - peer.resent_at >= RESEND_HOLD_S
        if they_have < limit and peer.address is not None and fresh_ask:
            peer.resent_from, peer.resent_at = they_have, now
            for scan in self.store.own_after(self.event_id, they_have, self.settings.batch):
                if scan.seq > limit:
                    break
                self._send("scan", scan, peer.address)
        if self._progress(dev).have < peer.their_head:
            self._ask(peer)

    def _ask(self, peer: PeerState) -> None:
        now = time.monotonic()
        if peer.address is not None and now - peer.last_ask >= REASK_S:
            peer.last_ask = now
            self._send("heads", self._heads_for(peer.device_id), peer.address)

    # -- the loop -------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask `serve()` to return."""
        self._stop.set()

    def serve(self, on_tick: Callable[[MeshNode], None] | None = None) -> None:
        """Run until `stop()`: push, receive, anti-entropy, status."""
        next_heads = 0.0
        next_status = 0.0
        last_flush = 0.0
        try:
            while not self._stop.is_set():
                self._take_offer()
                readable, _, _ = select.select([self.sock], [], [], POLL_S)
                if readable:
                    for _ in range(MAX_DRAIN):
                        try:
                            datagram, source = self.sock.recvfrom(65536)
                        except (BlockingIOError, InterruptedError):
                            break
                        except OSError as exc:  # e.g. an ICMP port unreachable on Linux
                            log.debug("mesh receive: %s", exc)
                            continue
                        self.handle(datagram, source)
                now = time.monotonic()
                if self._incoming and now - last_flush >= FLUSH_GAP_S:
                    self.flush()
                    last_flush = now
                self.push_new()
                now = time.monotonic()
                if now >= next_heads:
                    self.send_heads()
                    next_heads = now + self.settings.heads_every
                if now >= next_status:
                    if on_tick is not None:
                        on_tick(self)
                    self.write_status()
                    next_status = now + STATUS_EVERY_S
            self.flush()  # what was believed but not yet written
        finally:
            self.write_status(running=False)

    def close(self) -> None:
        """Release the socket."""
        self.sock.close()

    # -- status ---------------------------------------------------------------------------

    def status(self, *, running: bool = True) -> dict[str, Any]:
        """What `gatescan status` and the status strip show of the mesh."""
        now = time.monotonic()
        roster = self.gatekeeper.roster
        active = roster.active_peers(self.me)
        peers = []
        reachable = 0
        for dev in active:
            peer = self.peers.get(dev.device_id)
            heard = None if peer is None or peer.last_contact is None else now - peer.last_contact
            if heard is not None and heard <= self.settings.contact_s:
                reachable += 1
            have = self._progress(dev).have
            peers.append({"device_id": dev.device_id, "gate": dev.gate,
                          "address": None if peer is None or peer.address is None
                          else _addr(peer.address),
                          "last_contact_s": None if heard is None else round(heard, 3),
                          "their_head": 0 if peer is None else peer.their_head,
                          "have": have,
                          "lag": max(0, (0 if peer is None else peer.their_head) - have)})
        c = self.counters
        return {"running": running, "pid": os.getpid(), "updated_at": time.time(),
                "device_id": self.me, "event_id": self.event_id, "listen": self.address,
                "gates": len(active) + 1, "reachable": reachable + 1, "peers": peers,
                "head": self._pushed, "sent": c.sent, "sent_bytes": c.sent_bytes,
                "received": c.received, "received_bytes": c.received_bytes,
                "accepted": c.accepted, "applied_scans": c.applied_scans,
                "conflicts": self.store.conflicts,
                "discovered": {"used": c.discovered, "ignored": c.discovered_ignored},
                "refused": dict(sorted(c.refused.items()))}

    def write_status(self, *, running: bool = True) -> None:
        """Write the status file (atomically) for `gatescan status` and the UI."""
        if self.data_dir is None:
            return
        path = self.data_dir / STATUS_FILE
        tmp = path.with_name(f".{STATUS_FILE}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps(self.status(running=running)), encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("cannot write the mesh status: %s", exc)


def _addr(pair: Any) -> str:
    return f"{pair[0]}:{pair[1]}"


def read_status(data_dir: Path, *, stale_s: float = 10.0) -> dict[str, Any] | None:
    """The mesh status a running node wrote, None if none; `running` false if it is old."""
    try:
        raw = json.loads((data_dir / STATUS_FILE).read_text("utf-8"))
    except (FileNotFoundError, ValueError, OSError):
        return None
    if not isinstance(raw, dict):
        return None
    updated = raw.get("updated_at")
    if not isinstance(updated, int | float) or time.time() - updated > stale_s:
        raw["running"] = False
    return raw
