"""Mesh fixtures: the sync tests' real venue and gates, and `gatescan mesh` as real processes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.gate.sync.conftest import Gate, demo_template, gates, make_gate, venue

__all__ = ["demo_template", "gates", "make_gate", "venue"]

ROOT = Path(__file__).resolve().parents[3]
DEADLINE_S = 20.0


def free_udp_port(host: str) -> int:
    """A UDP port free on `host` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def wait_for(what: str, check: Callable[[], Any], timeout: float = DEADLINE_S) -> Any:
    """Poll `check` until it returns something truthy (bounded); fail naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class MeshProc:
    """One `gatescan --data DIR mesh --listen HOST:PORT` process."""

    def __init__(self, gate: Gate, host: str, *, extra: tuple[str, ...] = ()) -> None:
        self.gate = gate
        self.host = host
        self.port = free_udp_port(host)
        self.extra = extra
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = gate.root / "mesh.log"

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> MeshProc:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", "from gatescan.gate.cli import main; main()",
                 "--data", str(self.gate.root), "-v", "mesh", "--listen", self.address,
                 "--heads-every", "0.2", "--roster-every", "0.5", *self.extra],
                stdout=out, stderr=out, env=env)
        return self

    def status(self) -> dict[str, Any] | None:
        try:
            raw = json.loads((self.gate.root / "mesh-status.json").read_text())
        except (FileNotFoundError, ValueError):
            return None
        assert isinstance(raw, dict)
        if self.proc is None or raw.get("pid") != self.proc.pid:
            return None
        return raw

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None


@pytest.fixture
def meshes() -> Iterator[list[MeshProc]]:
    """Mesh processes made by the test (append them); every one is stopped at the end."""
    made: list[MeshProc] = []
    yield made
    for m in made:
        m.stop(signal.SIGKILL)


def mesh_of(made: list[MeshProc], gates_: list[Gate], *, enrolled: int | None = None,
            extra: tuple[str, ...] = ()) -> list[MeshProc]:
    """Start one mesh per gate on 127.0.0.2, .3, ... and wait until all see each other."""
    procs = [MeshProc(g, f"127.0.0.{i + 2}", extra=extra).start() for i, g in enumerate(gates_)]
    made.extend(procs)
    for p in procs:
        wait_until_meshed(p, len(procs), enrolled or len(procs))
    return procs


def wait_until_meshed(p: MeshProc, reachable: int, gates_: int) -> None:
    """Wait until the node hears `reachable` gates (itself included) of `gates_` enrolled."""
    wait_for(f"{p.address} to reach {reachable} of {gates_} gates",
             lambda: (st := p.status()) and st["reachable"] == reachable
             and st["gates"] == gates_)
