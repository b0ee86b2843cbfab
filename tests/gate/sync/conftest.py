"""Fixtures for sync tests: a demo venue on a real server, and gates that enroll with it."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from gatescan.demo.cli import main as demo_main
from gatescan.demo.phones import Wallet
from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.settings import ScannerSettings
from gatescan.gate.sync.client import make_http_client
from gatescan.gate.sync.engine import SyncConfig, SyncEngine
from gatescan.gate.sync.enroll import Enrolled, GateEnroller
from gatescan.gate.verify.view import Direction, GateContext
from gatescan.protocol.token import parse_ticket_id
from gatescan.protocol.verdict import Verdict
from gatescan.server.cli import main as server_cli
from gatescan.server.settings import ServerSettings, load_settings
from tests.gate.sync.live import LiveServer

TIMEOUT = httpx.Timeout(5.0, connect=2.0)


def server_cli_json(data: Path, *args: str) -> dict[str, Any]:
    """Run `gatescan-server --data DATA ARGS --json` in-process; the JSON object."""
    result = CliRunner().invoke(server_cli, ["--data", str(data), *args, "--json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    obj = json.loads(result.stdout)
    assert isinstance(obj, dict)
    return obj


def demo_cli_json(data: Path, *args: str) -> dict[str, Any]:
    """Run `gatescan-demo --data DATA ARGS --json` in-process; the JSON object."""
    result = CliRunner().invoke(demo_main, ["--data", str(data), *args, "--json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    obj = json.loads(result.stdout)
    assert isinstance(obj, dict)
    return obj


@dataclass
class Venue:
    """The organizer's side: the server's data, its demo event, an admin token, the server."""

    data: Path
    demo: dict[str, Any]
    admin_token: str
    server: LiveServer
    database_url: str | None = None  # None: the data directory's SQLite file

    def cli(self, *args: str) -> dict[str, Any]:
        """`gatescan-server ARGS --json` against this venue's store."""
        if self.database_url is None:
            return server_cli_json(self.data, *args)
        return server_cli_json(self.data, "--database-url", self.database_url, *args)

    def phones(self, *args: str) -> dict[str, Any]:
        """`gatescan-demo ARGS --json` (the simulated phones) against this venue's store."""
        if self.database_url is None:
            return demo_cli_json(self.data, *args)
        return demo_cli_json(self.data, "--database-url", self.database_url, *args)

    @property
    def settings(self) -> ServerSettings:
        """The server's settings."""
        return self.server.settings

    @property
    def event_id(self) -> int:
        """The demo event."""
        return int(self.demo["event_id"])

    def handshake(self, name: str, gate: str | None = "Gate 1", url: str | None = None) -> str:
        """A new device's enrollment handshake text."""
        args = ["device", "add", name, "--url", url or self.server.url]
        if gate is not None:
            args += ["--gate", gate]
        return str(self.cli(*args)["handshake"])

    def token(self, ticket: str, at: float) -> str:
        """The code the ticket's phone shows at `at`."""
        with Wallet(self.settings.wallet_path) as wallet:
            entry = wallet.current(parse_ticket_id(ticket))
            assert entry is not None
            return entry.token(at, int(self.demo["rotation_period"]))

    def scans(self) -> list[dict[str, Any]]:
        """Every scan the server holds, straight from its database."""
        conn = sqlite3.connect(f"file:{self.settings.database_path}?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in conn.execute(
                "SELECT scan_id, device_id, gate, outcome, device_time, via FROM scans "
                "ORDER BY seq")]
        finally:
            conn.close()

    def admin(self) -> httpx.Client:
        """An organizer client of the server."""
        return httpx.Client(base_url=self.server.url, timeout=TIMEOUT, trust_env=False,
                            headers={"Authorization": f"Bearer {self.admin_token}"})


@dataclass
class Gate:
    """One gate device: its data directory, HTTP client and sync engine."""

    root: Path
    gate: str = "Gate 1"
    http: httpx.Client = field(default_factory=lambda: make_http_client(TIMEOUT))
    config: SyncConfig = field(default_factory=SyncConfig)
    engine: SyncEngine = field(init=False)

    def __post_init__(self) -> None:
        self.settings = ScannerSettings(self.root)
        self.engine = SyncEngine(self.settings, self.http, config=self.config)

    def enroll(self, handshake: str) -> Enrolled:
        """Enroll with the handshake text."""
        return GateEnroller(self.settings, self.http, engine=self.engine).enroll(handshake)

    def ledger(self) -> Ledger:
        """The gate's ledger (close it, or use `with`)."""
        return Ledger(self.settings.ledger_path)

    def scan(self, code: str, at: float, direction: Direction = "entry") -> Verdict:
        """Redeem a code at this gate as the scanner would, at time `at`."""
        context = GateContext(self.gate, direction, self.settings.device_id())
        with self.ledger() as ledger:
            return ledger.redeem(code, at, context, source="camera").verdict

    def close(self) -> None:
        """Release the HTTP client."""
        self.http.close()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], str]:
    """A server data directory with a 40-ticket demo event and an admin token (copied per test)."""
    data = tmp_path_factory.mktemp("venue-template")
    demo = demo_cli_json(data, "event", "--tickets", "40")
    admin = str(server_cli_json(data, "admin-token")["token"])
    return data, demo, admin


@pytest.fixture
def venue(tmp_path: Path, demo_template: tuple[Path, dict[str, Any], str]) -> Iterator[Venue]:
    """A fresh copy of the demo venue, served on a loopback port."""
    template, demo, admin = demo_template
    data = tmp_path / "server"
    shutil.copytree(template, data)
    server = LiveServer(load_settings(data, {})).start()
    try:
        yield Venue(data, demo, admin, server)
    finally:
        server.stop()


@pytest.fixture
def gates(tmp_path: Path) -> Iterator[list[Gate]]:
    """Gates made by the test (append to the list); their clients are closed at the end."""
    made: list[Gate] = []
    yield made
    for gate in made:
        gate.close()


@pytest.fixture
def make_gate(tmp_path: Path, gates: list[Gate]) -> Any:
    """Make a gate device in tmp_path/NAME."""
    def make(name: str, gate: str = "Gate 1", **kwargs: Any) -> Gate:
        g = Gate(tmp_path / name, gate, **kwargs)
        gates.append(g)
        return g
    return make
