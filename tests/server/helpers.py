"""Helpers for issuer tests: a LedgerView read from a real manifest, CLI runs, secrets."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from gatescan.demo.cli import main as demo_main
from gatescan.gate.verify.verifier import verify
from gatescan.gate.verify.view import Direction, GateContext, Movement, TicketRecord
from gatescan.protocol.manifest import ManifestReader
from gatescan.protocol.policy import EventPolicy
from gatescan.protocol.verdict import Verdict
from gatescan.server.cli import main

T0 = 1_790_000_000  # demo "now" in CLI tests: 2026-09-21T14:13:20Z


@dataclass
class ManifestView:
    """A LedgerView built from a signed manifest file, plus the movements it has seen."""

    policy: EventPolicy
    keys: dict[bytes, bytes]
    tickets: dict[int, TicketRecord]
    sequence: int
    moves: dict[int, list[Movement]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> ManifestView:
        """Read and check a manifest (raises ManifestError if it is not trustworthy)."""
        with path.open("rb") as f:
            reader = ManifestReader(f, batch_size=7)
            tickets: dict[int, TicketRecord] = {}
            revoked: dict[int, tuple[int | None, str]] = {}
            for batch in reader.batches():
                for tid, type_id, serial, seat in batch.tickets:
                    tickets[tid] = TicketRecord(tid, type_id, serial, seat=seat)
                for tid, rserial, reason in batch.revocations:
                    revoked[tid] = (rserial, reason)
        for tid, (rserial, reason) in revoked.items():
            rec = tickets[tid]
            if rserial is None or rserial >= rec.serial:
                tickets[tid] = TicketRecord(tid, rec.type_id, rec.serial, True, reason, rec.seat)
        header = reader.header
        return cls(header.policy, {k.kid: k.public_key for k in header.keys}, tickets,
                   header.sequence)

    def event(self, event_id: int) -> EventPolicy | None:
        return self.policy if event_id == self.policy.event_id else None

    def issuer_keys(self, event_id: int, kid: bytes) -> list[bytes]:
        return [self.keys[kid]] if kid in self.keys else []

    def ticket(self, ticket_id: int) -> TicketRecord | None:
        return self.tickets.get(ticket_id)

    def credential(self, ticket_id: int) -> bytes | None:
        return None

    def movements(self, ticket_id: int) -> list[Movement]:
        return list(self.moves.get(ticket_id, []))

    def scan(self, text: str, at: float, gate: str = "Gate 1",
             direction: Direction = "entry") -> Verdict:
        """Verify like a gate would, and remember the movement if it admitted someone."""
        verdict = verify(text, at, self, GateContext(gate, direction))
        if verdict.outcome.counts_as_movement and verdict.ticket is not None:
            self.moves.setdefault(verdict.ticket.ticket_id, []).append(
                Movement(at, gate, direction, "local"))
        return verdict


def cli(data: Path | None, *args: str, env: dict[str, str] | None = None) -> Result:
    """Run `gatescan-server [--data DATA] ARGS` in-process."""
    prefix = [] if data is None else ["--data", str(data)]
    return CliRunner().invoke(main, [*prefix, *args], env=env, catch_exceptions=True)


def cli_json(data: Path, *args: str) -> dict[str, Any]:
    """Run a command with --json, insist on success, return the object."""
    result = cli(data, *args, "--json")
    assert result.exit_code == 0, (result.output, result.exception)
    obj = json.loads(result.stdout)
    assert isinstance(obj, dict)
    return obj


def demo_cli(data: Path | None, *args: str, env: dict[str, str] | None = None) -> Result:
    """Run `gatescan-demo [--data DATA] ARGS` in-process (the demo event, its phones)."""
    prefix = [] if data is None else ["--data", str(data)]
    return CliRunner().invoke(demo_main, [*prefix, *args], env=env, catch_exceptions=True)


def demo_json(data: Path, *args: str) -> dict[str, Any]:
    """Run a `gatescan-demo` command with --json, insist on success, return the object."""
    result = demo_cli(data, *args, "--json")
    assert result.exit_code == 0, (result.output, result.exception)
    obj = json.loads(result.stdout)
    assert isinstance(obj, dict)
    return obj


def token_at(data: Path, ticket: str, at: float, *extra: str) -> str:
    """The phone's code for `ticket` at `at`."""
    result = demo_cli(data, "token", ticket, "--at", str(at), *extra)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def private_seeds(data: Path) -> list[bytes]:
    """Every private seed in a data dir: issuer key files and wallet holder keys."""
    seeds = [p.read_bytes() for p in sorted((data / "keys").glob("*.key"))]
    with closing(sqlite3.connect(data / "wallet.db")) as conn:  # `with conn` alone never closes
        seeds += [bytes(r[0]) for r in conn.execute("SELECT holder_seed FROM credentials")]
    assert seeds and all(len(s) == 32 for s in seeds)
    return seeds


def leaked(seeds: list[bytes], blob: bytes | str) -> list[str]:
    """Which seeds appear in `blob` (raw, hex in either case)."""
    data = blob.encode() if isinstance(blob, str) else blob
    return [s.hex() for s in seeds
            if s in data or s.hex().encode() in data.lower()]
