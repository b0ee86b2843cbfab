"""The scan's durable commit at a door's pace, side by side with the disk's bare flush.

    .venv/bin/python bench/commit.py [--samples 120] [--gaps 0,30,250] [--dir /var/lib/gatescan]

`bench/verify.py` times `Ledger.redeem` back to back, thousands a second. A gate
scans one code every second or two and idles in between, and a disk (or the
virtual disk of a VM) that has been idle flushes more slowly. This bench redeems
real tokens on a real ledger (WAL, synchronous=FULL) with an idle gap before each
scan, and before each one, after the same gap, writes as many bytes as a scan
adds to the WAL (the latest growth seen) into a file on the same filesystem and
fdatasyncs it: the least any durable commit of a scan can cost on this disk. The two
alternate sample by sample, so they share the machine's moments. Printed per gap:
median and p95 of each, and the redeem's own CPU time, user and kernel (the rest
is waiting for the disk or a core).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from verify import GATE, NOW, Bench, machine_info

from gatescan.gate.ledger.ledger import Ledger
from gatescan.protocol.verdict import Outcome

WAL_FRAME_HEADER = 24  # bytes before each page in the WAL
BARE_FILE_BYTES = 16 << 20


def p95(values: list[float]) -> float:
    """The 95th percentile of `values` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


class BareFlush:
    """A preallocated file on the ledger's filesystem: write n bytes, fdatasync, time it."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(self._fd, bytes(BARE_FILE_BYTES))
        os.fsync(self._fd)
        self._offset = 0

    def flush(self, size: int) -> float:
        """Milliseconds to write `size` bytes at the next offset and fdatasync them."""
        if self._offset + size > BARE_FILE_BYTES:
            self._offset = 0  # overwrite from the start, as the WAL does after a checkpoint
        data = os.urandom(size)
        started = time.perf_counter()
        os.pwrite(self._fd, data, self._offset)
        os.fdatasync(self._fd)
        took = (time.perf_counter() - started) * 1000
        self._offset += size
        return took

    def close(self) -> None:
        os.close(self._fd)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=120, help="scans per gap (default 120)")
    ap.add_argument("--gaps", default="0,30,250",
                    help="idle milliseconds before each scan, comma-separated (default 0,30,250)")
    ap.add_argument("--tickets", type=int, default=20_000, help="tickets on the ledger")
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()),
                    help="where the ledger and the bare file go (the filesystem measured)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    try:
        gaps = [float(g) for g in args.gaps.split(",") if g.strip()]
    except ValueError:
        ap.error(f"--gaps: not a list of milliseconds: {args.gaps!r}")
    if not gaps or any(g < 0 for g in gaps) or args.samples < 2 or args.tickets < 1:
        ap.error("need --samples >= 2, --tickets >= 1 and gaps >= 0")
    if not args.dir.is_dir():
        ap.error(f"--dir {args.dir}: not a directory")
    scans = args.samples * len(gaps)
    if scans > args.tickets:
        ap.error(f"--tickets must be at least --samples x gaps ({scans})")

    print("GateScan bench/commit.py")
    for k, v in machine_info(args.dir):
        print(f"  {k:<11} {v}")
    print(f"  load        {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min)")
    print()
    bench = Bench.build(args.tickets, scans, args.seed)
    texts = list(bench.tokens.values())
    rows = []
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="gatescan-bench-commit-") as tmp:
        workdir = Path(tmp)
        manifest = workdir / "manifest.jsonl"
        bench.write_manifest(manifest, args.tickets)
        bare = BareFlush(workdir / "bare.bin")
        with Ledger(workdir / "ledger.db") as ledger:
            ledger.import_manifest(manifest)
            wal = workdir / "ledger.db-wal"
            sync = ledger.conn.execute("PRAGMA synchronous").fetchone()[0]
            mode = ledger.conn.execute("PRAGMA journal_mode").fetchone()[0]
            frame = ledger.conn.execute("PRAGMA page_size").fetchone()[0] + WAL_FRAME_HEADER
            for n, gap in enumerate(gaps):
                redeem_ms, cpu_ms, bare_ms, frames = [], [], [], []
                written = 6 * frame  # until a scan shows how much it adds
                for text in texts[n * args.samples:(n + 1) * args.samples]:
                    time.sleep(gap / 1000)
                    bare_ms.append(bare.flush(written))
                    time.sleep(gap / 1000)
                    before = wal.stat().st_size if wal.exists() else 0
                    cpu, started = time.thread_time(), time.perf_counter()
                    result = ledger.redeem(text, NOW, GATE, source="camera")
                    redeem_ms.append((time.perf_counter() - started) * 1000)
                    cpu_ms.append((time.thread_time() - cpu) * 1000)
                    assert result.verdict.outcome is Outcome.ADMITTED and result.recorded
                    grown = wal.stat().st_size - before
                    if grown > 0:  # 0: the WAL was reused from its start after a checkpoint
                        written = grown
                        frames.append(grown // frame)
                rows.append((gap, redeem_ms, cpu_ms, bare_ms, frames))
        bare.close()

    print(f"ledger: {args.tickets:,} tickets, journal={mode}, synchronous={sync}; "
          f"{args.samples} scans per gap, each after its bare flush, alternated")
    print(f"{'idle gap':>9} | {'redeem median / p95':>20} | {'its CPU median':>14} | "
          f"{'bare write+fdatasync median / p95':>33} | WAL pages per scan")
    for gap, redeem_ms, cpu_ms, bare_ms, frames in rows:
        grew = f"{statistics.median(frames):.0f}" if frames else "(WAL reused: no growth)"
        print(f"{gap:>6.0f} ms | {statistics.median(redeem_ms):>8.2f} / {p95(redeem_ms):5.2f} ms"
              f" | {statistics.median(cpu_ms):>11.2f} ms | "
              f"{statistics.median(bare_ms):>21.2f} / {p95(bare_ms):5.2f} ms | {grew}")
    print()
    print("A gate shows a verdict only after this commit: decoded -> shown can be no "
          "faster than the redeem column at the door's pace (issue 15's target: p95 <= 5 ms "
          "for the whole path).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
