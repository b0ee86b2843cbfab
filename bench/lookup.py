"""Benchmark the dead-phone lookup: manifest import and `Ledger.find_tickets`, with and
without attendee data, on the machine it ran on.

    .venv/bin/python bench/lookup.py                  # 200,000 tickets
    .venv/bin/python bench/lookup.py --tickets 1000000

The baseline is the same event without attendee data (the default): the ratio
says what opting in costs. A lookup by number or order code is an index probe;
a name is a substring search over the names index (a scan), so its time grows
with the ticket count.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from machine import summary

sys.path.insert(0, str(Path(__file__).parents[1]))

from gatescan.demo.event import _attendee
from gatescan.gate.ledger.ledger import Ledger
from gatescan.protocol.manifest import ManifestWriter
from tests.factories import T0, Issuer, demo_policy

FIRST_ID = 0x100000


def manifest(tickets: int, names: bool) -> bytes:
    """A signed manifest of `tickets` tickets, with the demo's made-up attendees if `names`."""
    issuer = Issuer(policy=replace(demo_policy(), attendee_data=names))
    out = io.BytesIO()
    w = ManifestWriter(out, issuer.policy, [issuer.public], issuer.key, sequence=1,
                       generated_at=T0)
    for i in range(tickets):
        name, order = _attendee(i) if names else (None, None)
        w.ticket(FIRST_ID + i, 1, 0, None, name=name, order_code=order)
    w.finish()
    return out.getvalue()


def median_ms(ledger: Ledger, query: str, samples: int) -> tuple[int, float]:
    """(matches, median milliseconds) of `samples` lookups of `query`."""
    times, found = [], 0
    for _ in range(samples):
        t = time.perf_counter()
        found = len(ledger.find_tickets(query))
        times.append(time.perf_counter() - t)
    return found, statistics.median(times) * 1000


def main() -> None:
    """Run both events and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--samples", type=int, default=21)
    args = parser.parse_args()
    print(summary())
    middle = FIRST_ID + args.tickets // 2
    queries = {"number": f"{middle:016x}", "order code": "D-000042", "name": "müller",
               "no match": "zzzz"}
    results: dict[bool, dict[str, tuple[int, float]]] = {}
    imports: dict[bool, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for names in (False, True):
            data = manifest(args.tickets, names)
            with Ledger(Path(tmp) / f"ledger-{names}.db") as ledger:
                t = time.perf_counter()
                ledger.import_manifest(io.BytesIO(data))
                imports[names] = time.perf_counter() - t
                results[names] = {k: median_ms(ledger, q, args.samples)
                                  for k, q in queries.items()}
            print(f"attendee_data={str(names).lower():5}  manifest {len(data) / 1e6:6.1f} MB  "
                  f"import {imports[names]:6.2f} s")
    print(f"import with names / without: {imports[True] / imports[False]:.2f}x")
    for kind in queries:
        off, on = results[False][kind], results[True][kind]
        print(f"lookup by {kind:10}  without names {off[1]:8.3f} ms ({off[0]} found)   "
              f"with names {on[1]:8.3f} ms ({on[0]} found)")


if __name__ == "__main__":
    main()
