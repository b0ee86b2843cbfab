"""A real uvicorn server on a fixed loopback port that can be stopped and started again."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import uvicorn

from gatescan.server.api.app import create_app
from gatescan.server.settings import ServerSettings

Asgi = Any
Wrapper = Callable[[Asgi], Asgi]


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """The real app (SQLite store in the settings' data dir) served on 127.0.0.1:`port`."""

    def __init__(self, settings: ServerSettings, *, port: int | None = None,
                 wrap: Wrapper | None = None) -> None:
        self.settings = settings
        self.port = port or free_port()
        self.wrap = wrap
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    @property
    def url(self) -> str:
        """The base URL gates use."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the server is up."""
        return self._server is not None

    def start(self) -> LiveServer:
        """Start serving (again) on the same port."""
        assert self._server is None, "already running"
        app: Asgi = create_app(self.settings)
        if self.wrap is not None:
            app = self.wrap(app)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                                timeout_graceful_shutdown=1)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        self._server, self._thread, self._sock = server, thread, sock
        return self

    def stop(self) -> None:
        """Stop serving: connections are refused until `start()`."""
        if self._server is None:
            return
        self._server.should_exit = True
        assert self._thread is not None and self._sock is not None
        self._thread.join(timeout=10)
        self._sock.close()
        self._server = self._thread = self._sock = None

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
