"""ASGI middleware: request body size limits and the server's time on every response; rate limits.

`RateLimiter` is a token bucket per source address (IPv6 by /64 network),
held in memory with a bounded number of sources: what stops one-time
enrollment codes from being guessed at hundreds per second.
"""

from __future__ import annotations

import ipaddress
import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DRAIN_MAX = 256 * 1024 * 1024


class BodyLimit:
    """Refuses bodies over the limit with 413 before the app reads them.

    The body is buffered here (the app would buffer it anyway), so a client
    that lies in `Content-Length` or streams chunks forever is cut off too.
    """

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Buffer the body within the path's limit, then hand it on."""
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        headers = dict(scope.get("headers") or [])
        page = _page_for(scope["path"], headers.get(b"accept-language", b""))
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _refuse(receive, send, limit, page=page)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _refuse(receive, send, limit, more=message.get("more_body", False),
                              page=page)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _page_for(path: str, accept_language: bytes) -> str | None:
    """The language of an HTML refusal for a console form (None: the API's JSON)."""
    if not path.startswith("/console/"):
        return None
    return "zh" if accept_language.lower().lstrip().startswith(b"zh") else "en"


_PAGES = {
    "en": ("File too large", "This file is larger than {size}: nothing was imported. "
           "Split it (for example one file per gate) and upload each part.", "Back to the events"),
    "zh": ("文件过大", "该文件大于 {size}：未导入任何内容。请将其拆分（例如每个闸口一个文件）"
           "后分别上传。", "返回活动列表"),
}


async def _refuse(receive: Receive, send: Send, limit: int, *, more: bool = True,
                  page: str | None = None) -> None:
    """Read and drop what the client is still sending (bounded), then answer 413.

    Closing a connection with unread data makes the kernel reset it, and the
    client may lose the 413 it was about to read; draining first avoids that.
    """
    dropped = 0
    while more and dropped <= DRAIN_MAX:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        dropped += len(message.get("body", b""))
        more = message.get("more_body", False)
    await _too_large(send, limit, page)


def _size(limit: int) -> str:
    return f"{limit >> 20} MiB" if limit >= 1 << 20 else f"{limit >> 10} KiB"


async def _too_large(send: Send, limit: int, page: str | None = None) -> None:
    """413: JSON for the API, a short page in the console's language for a console form."""
    if page is None:
        kind = b"application/json"
        body = json.dumps({"error": {"code": "too_large",
                                     "message": f"request body is larger than {limit} bytes"},
                           "server_time": time.time()}).encode()
    else:
        kind = b"text/html; charset=utf-8"
        title, text, back = _PAGES[page]
        body = (f'<!doctype html><html lang="{page}"><meta charset="utf-8">'
                f'<meta name="viewport" content="width=device-width, initial-scale=1">'
                f"<title>{title}</title><main><h1>{title}</h1>"
                f"<p>{text.format(size=_size(limit))}</p>"
                f'<p><a href="/console/events">{back}</a></p></main></html>').encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", kind),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class ServerTime:
    """Adds `X-Gatescan-Server-Time` (unix seconds) to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Stamp the response headers as they go out."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-gatescan-server-time", f"{time.time():.3f}".encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, stamped)


class RateLimiter:
    """Token buckets by source: `burst` attempts at once, then one more every `every` seconds.

    At most `max_sources` buckets are kept; the least recently used goes first
    (an idle bucket refills, so forgetting it costs a source at most `burst`).
    """

    def __init__(self, burst: int, every: float, *, max_sources: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.burst = burst
        self.every = every
        self.max_sources = max_sources
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, source: str) -> float:
        """Spend one attempt of `source`: 0.0 if allowed, else the seconds until one is."""
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.pop(source, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + max(0.0, now - at) / self.every)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) * self.every
            self._buckets[source] = (tokens, now)
            while len(self._buckets) > self.max_sources:
                self._buckets.popitem(last=False)
        return wait

    def refund(self, source: str) -> None:
        """Give back the attempt `take` spent (it succeeded: only failures should count)."""
        with self._lock:
            found = self._buckets.get(source)
            if found is not None:
                self._buckets[source] = (min(float(self.burst), found[0] + 1.0), found[1])


def source_of(host: str | None) -> str:
    """The rate-limit key of a client address: IPv4 as is, IPv6 by its /64 network."""
    if not host:
        return "?"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:100]
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def retry_after(wait: float) -> str:
    """A `Retry-After` value (whole seconds, at least 1) for a wait."""
    return str(max(1, math.ceil(wait)))
