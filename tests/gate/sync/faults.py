"""Misbehaving networks and servers for fault tests: a TCP proxy and an ASGI wrapper.

`FaultProxy` sits between a gate and the real server on loopback. Each new
connection whose request starts with a watched prefix takes the next fault from
its plan: refuse it, drop it after the request arrived, hold the answer past the
client's timeout, forward the request and die before answering (the server
did the work; the gate never hears of it), or deliver the request twice and
answer with the second response. Gates in these tests do not keep
connections alive, so a connection is one request.

`FlakyServer` wraps the ASGI app: it answers 500 before the app runs, or lets the
app store the batch and then answers 500 instead of the real response.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from collections import Counter, deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

PASS, REFUSE, DROP, DELAY, CUT, TWICE = "pass", "refuse", "drop", "delay", "cut", "twice"
PUSH_PREFIX = b"POST /api/v1/device/scans"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset (SO_LINGER 0), like a crashed peer."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.close()


class FaultProxy:
    """A loopback TCP proxy in its own thread whose connections fail by plan."""

    def __init__(self, upstream_port: int, *, delay: float = 3.0,
                 watch: bytes = PUSH_PREFIX) -> None:
        self.upstream_port = upstream_port
        self.delay = delay
        self.watch = watch
        self.plan: deque[str] = deque()
        self.seen: Counter[str] = Counter()
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """The address gates should use."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultProxy:
        """Listen on a free loopback port."""
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, "127.0.0.1", 0), self._loop)
        self._server = future.result(10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        """Close the listener and the loop."""
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            me = asyncio.current_task()
            # Until none is left: a connection accepted just before the listener closed
            # gets its handler task only now, and a task destroyed while pending leaves
            # its StreamWriter unclosed (a ResourceWarning on Python 3.13).
            for _ in range(50):
                await asyncio.sleep(0.01)  # let accepted connections start their handlers
                pending = [t for t in asyncio.all_tasks() if t is not me]
                if not pending:
                    break
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
            await asyncio.sleep(0.05)  # let the closed transports release their sockets
        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def fail_next(self, *faults: str) -> None:
        """Queue faults for the next watched connections (then they pass)."""
        with self._lock:
            self.plan.extend(faults)

    def _pick(self, head: bytes) -> str:
        with self._lock:
            fault = self.plan.popleft() if head.startswith(self.watch) and self.plan else PASS
            self.seen[fault] += 1
            return fault

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream: asyncio.StreamWriter | None = None
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            fault = self._pick(head)
            if fault == REFUSE:
                _reset(writer)
                return
            if fault == DROP:  # the request arrived; the network ate it
                await asyncio.sleep(0.05)
                _reset(writer)
                return
            if fault == TWICE:
                await self._twice(head, reader, writer)
                return
            up_reader, upstream = await asyncio.open_connection("127.0.0.1", self.upstream_port)
            upstream.write(head)
            forward = asyncio.create_task(self._pipe(reader, upstream))
            first = await up_reader.read(65536)  # the server has done the work by now
            if fault == CUT:
                forward.cancel()
                _reset(writer)
                return
            if fault == DELAY:
                await asyncio.sleep(self.delay)
            writer.write(first)
            await writer.drain()
            await self._pipe(up_reader, writer)
            forward.cancel()
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            if upstream is not None:
                upstream.close()
            writer.close()

    async def _twice(self, head: bytes, reader: asyncio.StreamReader,
                     writer: asyncio.StreamWriter) -> None:
        lines = head.split(b"\r\n")
        length = next((int(line.split(b":", 1)[1]) for line in lines
                       if line.lower().startswith(b"content-length:")), 0)
        body = await reader.readexactly(length)
        kept = [line for line in lines if not line.lower().startswith(b"connection:")]
        request = b"\r\n".join(kept).replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1)
        answer = b""
        for _ in range(2):
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
            up_writer.write(request + body)
            answer = await up_reader.read(-1)
            up_writer.close()
        writer.write(answer)
        await writer.drain()

    @staticmethod
    async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
            dst.close()  # one side hung up: so does the other


class FlakyServer:
    """An ASGI wrapper that fails watched requests with 500 by plan: before or after the app."""

    BEFORE, AFTER = "before", "after"

    def __init__(self, *, path: str = "/api/v1/device/scans") -> None:
        self.app: Any = None
        self.path = path
        self.plan: deque[str] = deque()
        self.seen: Counter[str] = Counter()

    def wrap(self, app: Any) -> FlakyServer:
        """Put this wrapper around the app (LiveServer's `wrap` hook)."""
        self.app = app
        return self

    def fail_next(self, *modes: str) -> None:
        """Queue failures for the next watched requests (then they pass)."""
        self.plan.extend(modes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") != self.path or not self.plan:
            await self.app(scope, receive, send)
            return
        mode = self.plan.popleft()
        self.seen[mode] += 1
        if mode == self.AFTER:
            async def swallow(message: Message) -> None:
                return None
            await self.app(scope, receive, swallow)  # the batch is stored...
        await send({"type": "http.response.start", "status": 500,  # ...and the answer lost
                    "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"Internal Server Error"})
