"""A separate process that redeems codes from a JSON file, one printed line per verdict.

    python -m tests.gate.ledger.worker LEDGER JOBS.json [START_AT]

JOBS.json is a list of {"text", "now", "gate", "device"} (or "manual", a typed
ticket id for `Ledger.redeem_manual`, instead of "text") with an optional "at"
(a unix time to wait for, so several workers hit the same ticket at the same
instant) or "after" (seconds after the start). With START_AT "-", the worker
opens the ledger, prints READY and reads the start time from stdin (a barrier:
the test starts every worker's clock only once all are ready, however slow the
machine). The worker opens the ledger, waits until START_AT, then for each job
redeems and prints {"scan_id", "outcome", "ticket_id"} only after it returned,
flushing each line: what a gate screen would show.
"""

from __future__ import annotations

import json
import sys
import time

from gatescan.gate.ledger.errors import LedgerError
from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.verify.view import GateContext


def main(argv: list[str]) -> int:
    """Run the jobs; exit 0, or 3 on a LedgerError (printed as a line)."""
    path, jobs_file = argv[0], argv[1]
    barrier = len(argv) > 2 and argv[2] == "-"
    start_at = float(argv[2]) if len(argv) > 2 and not barrier else 0.0
    with open(jobs_file) as f:
        jobs = json.load(f)
    with Ledger(path, busy_timeout=30.0) as ledger:
        if barrier:
            print("READY", flush=True)
            start_at = float(sys.stdin.readline())
        delay = start_at - time.time()
        if delay > 0:
            time.sleep(delay)
        for job in jobs:
            wait = (start_at + job["after"] if "after" in job else job.get("at", 0.0)) - time.time()
            if wait > 0:
                time.sleep(wait)
            gate = GateContext(job["gate"], device_id=job["device"])
            try:
                if "manual" in job:
                    r = ledger.redeem_manual(job["manual"], job["now"], gate)
                else:
                    r = ledger.redeem(job["text"], job["now"], gate)
            except LedgerError as exc:
                print(json.dumps({"error": exc.code}), flush=True)
                return 3
            t = r.verdict.ticket
            print(json.dumps({"scan_id": r.scan_id, "outcome": r.verdict.outcome.value,
                              "ticket_id": t.ticket_id if t else None}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
