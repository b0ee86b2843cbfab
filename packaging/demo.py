"""The GateScan demo: an issuer, a gate, and every kind of verdict, in a terminal.

Runs the real command-line tools (`gatescan-server`, `gatescan`) against a
throw-away data directory, the way an operator would: create a demo event,
preload its signed manifest onto a gate, then scan the codes phones would show.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run one of the project's console scripts and return its output."""
    return subprocess.run([str(BIN / args[0]), *args[1:]], capture_output=True, text=True,
                          check=check)


def say(text: str) -> None:
    print(f"\n\033[1m▶ {text}\033[0m", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, help="keep the demo's data here (default: a temp dir)")
    parser.add_argument("--pause", type=float, default=0.0, help="seconds between scenes")
    args = parser.parse_args()
    base = args.dir or Path(tempfile.mkdtemp(prefix="gatescan-demo-"))
    issuer, gate = base / "issuer", base / "gate"
    shutil.rmtree(gate, ignore_errors=True)

    def server(*a: str) -> str:
        return run("gatescan-server", "--data", str(issuer), *a).stdout.strip()

    def scan(what: str, text: str, *opts: str) -> None:
        say(what)
        out = run("gatescan", "--data", str(gate), "check", text, *opts, check=False)
        print(out.stdout.rstrip() or out.stderr.rstrip(), flush=True)
        time.sleep(args.pause)

    say(f"Issuer: create the demo event (data in {issuer})")
    demo = json.loads(server("demo", "--tickets", "200", "--json"))
    print(f"  event {demo['event_name']!r}: {len(demo['tickets'])} tickets, "
          f"gates {', '.join(g['name'] for g in demo['gates'])}")
    special = demo["special"]

    say("Gate: preload the signed manifest (as from a USB stick)")
    print(run("gatescan", "--data", str(gate), "import-manifest", demo["manifest"]).stdout.strip())

    now = time.time()
    early = special["early_bird"]
    used = set(special.values())
    spare_early = [t for t, k in demo["ticket_types"].items()
                   if k == "early_bird" and t not in used]
    scan("A phone shows a valid ticket at Gate 1", server("token", early))
    scan("The same ticket again, at Gate 2", server("token", early), "--gate", "Gate 2")
    scan("A screenshot taken two minutes ago",
         server("token", special["vip"], "--at", str(int(now - 120))), "--gate", "VIP Gate")
    scan("A refunded ticket", server("token", special["revoked"]))
    scan("A ticket transferred to a friend: the old phone",
         server("token", special["transferred"], "--old"))
    scan("... and the friend's phone", server("token", special["transferred"]))
    scan("An early-bird ticket at the VIP gate", server("token", spare_early[0]),
         "--gate", "VIP Gate")
    scan("A VIP ticket at the VIP gate", server("token", special["vip"]), "--gate", "VIP Gate")
    forged = list(server("token", spare_early[1]))
    forged[40] = "7" if forged[40] != "7" else "8"
    scan("A forged code (one character changed)", "".join(forged))
    for n in range(1, 6):
        scan(f"Group ticket, person {n}", server("token", special["group"]),
             "--gate", "Gate 1" if n % 2 else "Gate 2")
    scan("Re-entry ticket: in", server("token", special["reentry"]))
    scan("... out", server("token", special["reentry"]), "--direction", "exit")
    scan("... and back in", server("token", special["reentry"]), "--gate", "Gate 2")
    scan("Something that is not a ticket", "https://example.org/coupon")

    say("Gate status")
    print(run("gatescan", "--data", str(gate), "status").stdout.rstrip())
    print(f"\nDemo data kept in {base}. Try:\n"
          f"  .venv/bin/gatescan --data {gate} check \"$(.venv/bin/gatescan-server --data "
          f"{issuer} token {spare_early[2]})\"")
    return 0


if __name__ == "__main__":
    sys.exit(main())
