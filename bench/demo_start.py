"""Demo start-up: how soon `gatescan-demo gate` shows a window, against how long the demo
event and its phone video take to make (the time a user used to stare at nothing).

Runs the real console script in a fresh process (offscreen unless $DISPLAY is set) a few
times, reads its log, and stops it once the gate is ready to scan.

    .venv/bin/python bench/demo_start.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import summary

BIN = Path(sys.executable).parent
SHOWN = re.compile(r"first window shown after ([0-9.]+) s")
READY = "ready to scan"


def one_run(folder: Path) -> tuple[float, float]:
    """(seconds to the first window, seconds to ready to scan) for one demo start."""
    env = dict(os.environ)
    if not env.get("DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(BIN / "gatescan-demo"), "-v", "gate", "--gate-data",
                             str(folder), "--no-sound"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    shown = ready = float("nan")
    try:
        for line in proc.stdout:
            found = SHOWN.search(line)
            if found:
                shown = float(found.group(1))
            if READY in line:
                ready = time.perf_counter() - t0
                break
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    return shown, ready


def main() -> int:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(summary())
    shown, ready = [], []
    for n in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="gatescan-bench-demo-") as tmp:
            s, r = one_run(Path(tmp) / "demo")
        shown.append(s)
        ready.append(r)
        print(f"run {n + 1}: window after {s:.2f} s, ready to scan after {r:.2f} s")
    s, r = statistics.median(shown), statistics.median(ready)
    print(f"median: window after {s:.2f} s (the process's own clock), ready to scan after "
          f"{r:.2f} s; the window comes at {s / r:.0%} of the wait for the gate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
