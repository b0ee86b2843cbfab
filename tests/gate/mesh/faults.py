"""A seeded UDP fault proxy for mesh tests: the LAN between gates, losing and delaying datagrams.

Every gate `i` listens on its real address R_i; the proxy holds one front socket
F_i per gate (on 127.0.1.x) and the gates are told only the fronts (`--peer`).
A datagram from R_k arriving at F_i is meant for gate i: the proxy drops it (a
share `loss`), or sends it to R_i *from F_k* after a delay up to `max_delay`
seconds, so gate i sees it come from F_k and answers there (and the proxy
carries the answer back the same way). Delays differ per datagram, so they
also reorder. Decisions come from one seeded random generator; the proxy
stops after `max_datagrams` datagrams or `max_s` seconds (bounded count and
time), and holds at most `max_pending` delayed datagrams (more are dropped).
"""

from __future__ import annotations

import heapq
import random
import select
import socket
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType


@dataclass(slots=True)
class FaultCounts:
    """What the proxy did, for the test's assertions and messages."""

    received: int = 0
    dropped: int = 0
    forwarded: int = 0
    delays: list[float] = field(default_factory=list)


class FaultProxy:
    """Carries datagrams between the gates' real addresses through one front socket each."""

    def __init__(self, real: list[tuple[str, int]], *, loss: float, max_delay: float,
                 seed: int, max_datagrams: int = 200_000, max_s: float = 120.0,
                 max_pending: int = 10_000) -> None:
        self.real = list(real)
        self.loss, self.max_delay = loss, max_delay
        self.max_datagrams, self.max_s, self.max_pending = max_datagrams, max_s, max_pending
        self.random = random.Random(seed)
        self.counts = FaultCounts()
        self.fronts: list[socket.socket] = []
        for i in range(len(real)):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind((f"127.0.1.{i + 2}", 0))
            sock.setblocking(False)
            self.fronts.append(sock)
        self._index = {addr: i for i, addr in enumerate(self.real)}
        self._pending: list[tuple[float, int, int, bytes, int]] = []  # due, n, via, data, to
        self._n = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fault-proxy", daemon=True)

    def front(self, i: int) -> str:
        """The address the other gates use for gate `i` (HOST:PORT)."""
        host, port = self.fronts[i].getsockname()[:2]
        return f"{host}:{port}"

    def peers_of(self, i: int) -> list[str]:
        """The `--peer` addresses of gate `i`: every other gate's front."""
        return [self.front(j) for j in range(len(self.real)) if j != i]

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for sock in self.fronts:
            sock.close()

    def _run(self) -> None:
        ends = time.monotonic() + self.max_s
        by_fd = {sock.fileno(): i for i, sock in enumerate(self.fronts)}
        while not self._stop.is_set() and time.monotonic() < ends and \
                self.counts.received < self.max_datagrams:
            now = time.monotonic()
            while self._pending and self._pending[0][0] <= now:
                _, _, via, data, to = heapq.heappop(self._pending)
                self._deliver(via, data, to)
            wait = 0.01 if not self._pending else max(0.0, min(0.01, self._pending[0][0] - now))
            readable, _, _ = select.select(self.fronts, [], [], wait)
            for sock in readable:
                self._drain(sock, by_fd[sock.fileno()])

    def _drain(self, sock: socket.socket, to: int) -> None:
        for _ in range(256):
            try:
                data, source = sock.recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # an ICMP error from an earlier send: nothing to carry
                continue
            via = self._index.get((source[0], source[1]))
            if via is None or via == to:
                continue  # not one of the gates: the LAN carries only the gates' traffic
            self.counts.received += 1
            if self.random.random() < self.loss or len(self._pending) >= self.max_pending:
                self.counts.dropped += 1
                continue
            delay = self.random.uniform(0.0, self.max_delay)
            self.counts.delays.append(delay)
            self._n += 1
            heapq.heappush(self._pending, (time.monotonic() + delay, self._n, via, data, to))

    def _deliver(self, via: int, data: bytes, to: int) -> None:
        try:
            self.fronts[via].sendto(data, self.real[to])
        except OSError:  # a gate that is down: the datagram is lost, as on a LAN
            return
        self.counts.forwarded += 1
