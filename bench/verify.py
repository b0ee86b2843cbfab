"""Benchmark the gate's hot path and the manifest import, with the machine they ran on.

    .venv/bin/python bench/verify.py                 # full run: 80,000 and 1,000,000 tickets
    .venv/bin/python bench/verify.py --tickets 100000 --samples 500   # quick run

Prints: median and p99 of `verify` alone (parse + two Ed25519 checks + policy,
against an in-memory view), of `Ledger.redeem` (verify + ledger lookups + scan
insert + durable commit, WAL with synchronous=FULL) on a ledger holding
--tickets tickets, the import time of manifests of --stadium and --tickets
tickets, the token text length, the cost of the per-commit file-identity check
and of opening the big ledger (with its `PRAGMA quick_check`). Targets: redeem
median < 1 ms, 1,000,000 ticket import < 10 s. Everything runs in a temporary directory on the same
filesystem as --dir (default: the system temp dir).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from machine import cpu_model

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nacl.signing import SigningKey

from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.verify.verifier import verify
from gatescan.gate.verify.view import GateContext, Movement, TicketRecord
from gatescan.protocol.manifest import ManifestWriter
from gatescan.protocol.policy import EventPolicy, Gate, TicketType
from gatescan.protocol.token import (
    TOKEN_LEN,
    Credential,
    build_token,
    key_id,
    sign_credential,
    step_for,
)
from gatescan.protocol.verdict import Outcome

NOW = 1_790_000_000.0
GATE = GateContext("Gate 1", device_id="bench")


def machine_info(where: Path) -> list[tuple[str, str]]:
    """Platform, CPU model, cores, Python and SQLite versions, and the ledger's filesystem."""
    cpu = cpu_model()
    return [
        ("platform", platform.platform()),
        ("cpu", cpu),
        ("cores", str(os.cpu_count())),
        ("python", platform.python_version()),
        ("sqlite", sqlite3.sqlite_version),
        ("filesystem", _filesystem(where)),
    ]


def _filesystem(path: Path) -> str:
    best = ("", "?", "?")
    try:
        for line in Path("/proc/mounts").read_text().splitlines():
            dev, mnt, fstype = line.split()[:3]
            if str(path.resolve()).startswith(mnt) and len(mnt) >= len(best[0]):
                best = (mnt, fstype, dev)
    except OSError:
        return "unknown"
    return f"{best[1]} ({best[2]} on {best[0]}) for {path}"


@dataclass
class Bench:
    """An event with an issuer key, a policy, and phones for a sample of its tickets."""

    issuer: SigningKey
    policy: EventPolicy
    ticket_ids: list[int]
    tokens: dict[int, str]

    @classmethod
    def build(cls, tickets: int, samples: int, seed: int) -> Bench:
        """Random 63-bit ticket ids (as the issuer makes them) and real tokens for `samples`."""
        rng = random.Random(seed)
        ids: set[int] = set()
        while len(ids) < tickets:
            ids.add(rng.getrandbits(63) or 1)
        ticket_ids = list(ids)
        rng.shuffle(ticket_ids)
        issuer = SigningKey(rng.randbytes(32))
        policy = EventPolicy(event_id=1, name="Bench Stadium", gates=(Gate("Gate 1"),),
                             ticket_types=(TicketType(1, "General"),))
        kid = key_id(bytes(issuer.verify_key))
        tokens = {}
        for tid in ticket_ids[:samples]:
            holder = SigningKey(rng.randbytes(32))
            cred = Credential(kid, 1, tid, 1, 0, int(NOW) - 3600, int(NOW) + 86400,
                              bytes(holder.verify_key))
            tokens[tid] = build_token(sign_credential(cred, issuer), holder,
                                      step_for(NOW, policy.rotation_period))
        return cls(issuer, policy, ticket_ids, tokens)

    def write_manifest(self, path: Path, count: int) -> float:
        """Write a signed manifest of the first `count` tickets; returns seconds taken."""
        started = time.perf_counter()
        with open(path, "wb", buffering=1 << 20) as out:
            w = ManifestWriter(out, self.policy, [bytes(self.issuer.verify_key)], self.issuer,
                               sequence=1, generated_at=int(NOW))
            for i, tid in enumerate(self.ticket_ids[:count]):
                w.ticket(tid, 1, 0, f"Block {i % 40} Row {i % 30} Seat {i % 50}")
            w.finish()
        return time.perf_counter() - started


class MemoryView:
    """A LedgerView over dicts: what `verify alone` checks against."""

    def __init__(self, bench: Bench) -> None:
        self._bench = bench
        self._kid = key_id(bytes(bench.issuer.verify_key))
        self._tickets = {t: TicketRecord(t, 1, 0) for t in bench.tokens}

    def event(self, event_id: int) -> EventPolicy | None:
        return self._bench.policy if event_id == 1 else None

    def issuer_keys(self, event_id: int, kid: bytes) -> list[bytes]:
        return [bytes(self._bench.issuer.verify_key)] if kid == self._kid else []

    def ticket(self, ticket_id: int) -> TicketRecord | None:
        return self._tickets.get(ticket_id)

    def credential(self, ticket_id: int) -> bytes | None:
        return None

    def movements(self, ticket_id: int) -> list[Movement]:
        return []


def percentiles(samples_ns: list[int]) -> tuple[float, float]:
    """(median, p99) in microseconds."""
    ordered = sorted(samples_ns)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered) / 1000, p99 / 1000


def time_import(bench: Bench, workdir: Path, count: int) -> tuple[float, float, int]:
    """(write seconds, import seconds, file bytes) for a fresh ledger and a `count` manifest."""
    manifest = workdir / f"manifest-{count}.jsonl"
    wrote = bench.write_manifest(manifest, count)
    size = manifest.stat().st_size
    with Ledger(workdir / f"ledger-{count}.db") as ledger:
        started = time.perf_counter()
        result = ledger.import_manifest(manifest)
        seconds = time.perf_counter() - started
        assert result.tickets == count
    manifest.unlink()
    return wrote, seconds, size


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tickets", type=int, default=1_000_000,
                    help="tickets on the big ledger (default 1,000,000)")
    ap.add_argument("--stadium", type=int, default=80_000,
                    help="tickets in the smaller manifest (default 80,000)")
    ap.add_argument("--samples", type=int, default=2000, help="timed scans (default 2000)")
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()),
                    help="where to put the temporary ledgers and manifests")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    samples = min(args.samples, args.tickets)
    stadium = min(args.stadium, args.tickets)

    print("GateScan bench/verify.py")
    for k, v in machine_info(args.dir):
        print(f"  {k:<11} {v}")
    print()
    bench = Bench.build(args.tickets, samples, args.seed)
    texts = list(bench.tokens.values())
    print(f"token text: {len(texts[0])} characters Base45 ({TOKEN_LEN} bytes binary)")

    view = MemoryView(bench)
    for text in texts[:50]:  # warm up
        verify(text, NOW, view, GATE)
    timings = []
    for text in texts:
        t = time.perf_counter_ns()
        verdict = verify(text, NOW, view, GATE)
        timings.append(time.perf_counter_ns() - t)
        assert verdict.outcome is Outcome.ADMITTED, verdict
    med, p99 = percentiles(timings)
    print(f"verify alone:          median {med:8.1f} µs   p99 {p99:8.1f} µs   (n={len(texts)})")

    with tempfile.TemporaryDirectory(dir=args.dir, prefix="gatescan-bench-") as tmp:
        workdir = Path(tmp)
        for count in dict.fromkeys([stadium, args.tickets]):
            wrote, seconds, size = time_import(bench, workdir, count)
            print(f"import {count:>9,} tickets: {seconds:6.2f} s  "
                  f"({size / 1e6:.1f} MB manifest, written in {wrote:.1f} s)")
        big_import = seconds

        started = time.perf_counter()
        big = Ledger(workdir / f"ledger-{args.tickets}.db")  # first open: PRAGMA quick_check
        opened = time.perf_counter() - started
        with big as ledger:
            mode = ledger.conn.execute("PRAGMA journal_mode").fetchone()[0]
            sync = ledger.conn.execute("PRAGMA synchronous").fetchone()[0]
            timings, again = [], []
            for text in texts:
                t = time.perf_counter_ns()
                r = ledger.redeem(text, NOW, GATE, source="camera")
                timings.append(time.perf_counter_ns() - t)
                assert r.verdict.outcome is Outcome.ADMITTED and r.recorded, r.verdict
            later = GateContext("Gate 1", device_id="bench-2")
            for text in texts:
                t = time.perf_counter_ns()
                r = ledger.redeem(text, NOW + 10, later, source="camera")
                again.append(time.perf_counter_ns() - t)
                assert r.verdict.outcome is Outcome.ALREADY_USED, r.verdict
            assert ledger.verify_chain().ok
            checks = []  # the file-identity check each commit includes (two stat calls)
            for _ in texts:
                t = time.perf_counter_ns()
                ledger.check_file()
                checks.append(time.perf_counter_ns() - t)
        med, p99 = percentiles(timings)
        amed, ap99 = percentiles(again)
        cmed, _ = percentiles(checks)
        print(f"redeem (admit):        median {med:8.1f} µs   p99 {p99:8.1f} µs   "
              f"(n={len(texts)}, {args.tickets:,} tickets, journal={mode}, synchronous={sync})")
        print(f"redeem (already used): median {amed:8.1f} µs   p99 {ap99:8.1f} µs")
        print(f"file identity check:   median {cmed:8.1f} µs   ({100 * cmed / med:.1f} % of "
              "the admit median; part of it)")
        print(f"first open (quick_check): {opened * 1000:8.1f} ms   ({args.tickets:,} tickets; "
              "later opens in the same process skip it)")

    print()
    print(f"target redeem median < 1000 µs: {'met' if med < 1000 else 'MISSED'}")
    if args.tickets >= 1_000_000:
        print(f"target 1,000,000-ticket import < 10 s: {'met' if big_import < 10 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
