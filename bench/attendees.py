"""Benchmark the attendee CSV import (issue 13: a 10,000-row CSV in < 5 s).

    .venv/bin/python bench/attendees.py                    # SQLite, 10,000 rows
    .venv/bin/python bench/attendees.py --rows 2000 --database-url postgresql+psycopg://…

In one run, on a fresh store: the import of ROWS rows (tickets + wallet links, chunked
transactions), the same file again (every row `already`), and as the side-by-side
baseline `links.issue_with_link` one row at a time for a sample, scaled to ROWS.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import summary  # bench/machine.py, next to this file

from gatescan.server import attendees
from gatescan.server.console import events
from gatescan.server.console.plans import build_plan
from gatescan.server.settings import load_settings
from gatescan.server.store import IssuerStore
from gatescan.server.wallet import links


def attendee_csv(rows: int) -> bytes:
    lines = ["order_code,type,seat,name"]
    for i in range(rows):
        lines.append(f"ORD{i // 3:06d},{'VIP' if i % 10 == 0 else 'Standing'},"
                     f"Block {i % 7} seat {i},Attendee {i}")
    return ("\n".join(lines) + "\n").encode()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--sample", type=int, default=300, help="rows of the per-row baseline")
    ap.add_argument("--database-url", default=None)
    args = ap.parse_args()
    print(summary())
    data = attendee_csv(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(Path(tmp) / "data", {}, database_url=args.database_url)
        with IssuerStore.open(settings) as store:
            event_id = events.create(store, build_plan({
                "name": "Bench", "tz": "UTC", "gates": [{"name": "North"}],
                "ticket_types": [{"name": "Standing"}, {"name": "VIP"}]}))
            start = time.perf_counter()
            first = attendees.import_file(store, event_id, data, now=time.time())
            took = time.perf_counter() - start
            start = time.perf_counter()
            again = attendees.import_file(store, event_id, data, now=time.time())
            took_again = time.perf_counter() - start
            start = time.perf_counter()
            now = time.time()
            for _ in range(args.sample):
                links.issue_with_link(store, event_id, 1, int(now), int(now) + 86400, "x",
                                      now=now)
            per_row = (time.perf_counter() - start) / args.sample
    print(f"backend: {'PostgreSQL' if args.database_url else 'SQLite'}; file "
          f"{len(data) / 1024:.0f} KiB, {args.rows} rows")
    print(f"import:    {took:.2f} s  ({first.totals()})  {args.rows / took:.0f} rows/s")
    print(f"re-import: {took_again:.2f} s  ({again.totals()})")
    print(f"baseline, issue_with_link per row: {per_row * 1000:.2f} ms/row -> "
          f"{per_row * args.rows:.1f} s for {args.rows} rows; the import is "
          f"{per_row * args.rows / took:.1f}x faster")


if __name__ == "__main__":
    main()
