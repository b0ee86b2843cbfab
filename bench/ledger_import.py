"""Benchmark of the gate's manifest import against a bare `executemany` of the same rows.

Writes a signed manifest of --tickets tickets (random 63-bit ids, a seat each,
as the issuer makes them), then in one run and in alternating order, --rounds
times each, into a fresh ledger file each time (WAL, synchronous=FULL):

- import: `Ledger.import_manifest` (stream, parse, check every record and the
  signature, upsert, one transaction);
- bare: the same rows, already parsed in memory, with one `executemany` of a
  plain INSERT into the same schema in one transaction, with the same page
  cache the import sets (the floor).

Prints the median of each and their ratio (target: import within 1.3x of bare).

    .venv/bin/python bench/ledger_import.py                 # 1,000,000 tickets
    .venv/bin/python bench/ledger_import.py --tickets 200000 --rounds 1
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

from machine import summary

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from verify import Bench

from gatescan.gate.ledger.importer import IMPORT_CACHE_KIB
from gatescan.gate.ledger.ledger import Ledger
from gatescan.protocol.manifest import ManifestReader

Timing = tuple[float, float]  # (wall seconds, CPU seconds of this process)


def bare(path: Path, rows: list[tuple[int, int, int, str | None]]) -> Timing:
    """Time one executemany of `rows` into a fresh ledger's tickets, committed."""
    with Ledger(path) as ledger:
        conn = ledger.conn
        conn.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB:d}")  # as the import sets it
        started, cpu = time.perf_counter(), time.process_time()
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO tickets (ticket_id, event_id, type_id, serial, seat) "
                         "VALUES (?, 1, ?, ?, ?)", rows)
        conn.execute("COMMIT")
        return time.perf_counter() - started, time.process_time() - cpu


def imported(path: Path, manifest: Path, count: int, profile: bool) -> Timing:
    """Time `Ledger.import_manifest` of `manifest` into a fresh ledger."""
    with Ledger(path) as ledger:
        prof = cProfile.Profile() if profile else None
        started, cpu = time.perf_counter(), time.process_time()
        if prof:
            prof.enable()
        result = ledger.import_manifest(manifest)
        if prof:
            prof.disable()
        took = time.perf_counter() - started, time.process_time() - cpu
        assert result.tickets == count
        (n,) = ledger.conn.execute("SELECT count(*) FROM tickets").fetchone()
        assert n == count
    if prof:
        pstats.Stats(prof).sort_stats("tottime").print_stats(20)
    return took


def main() -> None:
    """Run the benchmark."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    ap.add_argument("--profile", action="store_true", help="profile the first import")
    args = ap.parse_args()
    print("== machine")
    print(f"  {summary()}")
    bench = Bench.build(args.tickets, 1, seed=1)
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="gatescan-bench-") as tmp:
        work = Path(tmp)
        manifest = work / "manifest.jsonl"
        wrote = bench.write_manifest(manifest, args.tickets)
        with open(manifest, "rb") as f:
            rows = [t for b in ManifestReader(f).batches() for t in b.tickets]
        print(f"== {args.tickets:,} tickets ({manifest.stat().st_size / 1e6:.1f} MB manifest, "
              f"written in {wrote:.1f} s), {args.rounds} rounds, fresh ledger each time")
        times: dict[str, list[Timing]] = {"import": [], "bare": []}
        for r in range(args.rounds):
            order = ("import", "bare") if r % 2 == 0 else ("bare", "import")
            for what in order:
                path = work / f"{what}-{r}.db"
                if what == "bare":
                    times[what].append(bare(path, rows))
                else:
                    times[what].append(imported(path, manifest, args.tickets,
                                                args.profile and r == 0))
                for p in work.glob(f"{what}-{r}.db*"):
                    p.unlink()
        med: dict[str, tuple[float, float]] = {}
        for what, label in (("bare", "bare executemany"), ("import", "import_manifest")):
            wall, cpu = (statistics.median(t[i] for t in times[what]) for i in (0, 1))
            med[what] = wall, cpu
            print(f"  {label:<17} wall median {wall:6.2f} s   CPU median {cpu:6.2f} s   "
                  f"(wall {', '.join(f'{t[0]:.2f}' for t in times[what])})")
        wall_ratio = med["import"][0] / med["bare"][0]
        cpu_ratio = med["import"][1] / med["bare"][1]
        print(f"  import / bare: {wall_ratio:.2f}x wall, {cpu_ratio:.2f}x CPU "
              f"(target <= 1.3x: {'met' if wall_ratio <= 1.3 else 'MISSED'} on wall time)")


if __name__ == "__main__":
    main()
