"""The GateScan demo: the server with a demo event, an enrolled gate, every kind of verdict.

Starts the real issuing + sync server (`gatescan-server serve`) on a free
loopback port with a demo event, then either
  - opens the gate window (when there is a display) enrolled with that server,
    its camera a generated video of phones showing rotating codes, or
  - (no display, or --terminal) walks through the same scenes with the
    `gatescan` command line: enroll by handshake, scan, sync.
Everything lives in a throw-away data directory unless --dir is given.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    """Path of one of the project's console scripts in this environment."""
    return str(BIN / name)


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a console script and return its output."""
    return subprocess.run([tool(args[0]), *args[1:]], capture_output=True, text=True,
                          check=check)


def say(text: str) -> None:
    """A scene title."""
    print(f"\n\033[1m▶ {text}\033[0m", flush=True)


def free_port() -> int:
    """A free TCP port on loopback."""
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(issuer: Path, log_file: Path) -> Iterator[str]:
    """`gatescan-server serve` on a free loopback port, stopped on exit."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = log_file.open("w")
    proc = subprocess.Popen([tool("gatescan-server"), "--data", str(issuer), "serve",
                             "--host", "127.0.0.1", "--port", str(port), "--url", url],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/v1/health", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the server did not start; see {log_file}") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def terminal_demo(base: Path, issuer: Path, url: str, demo: dict[str, object],
                  pause: float) -> None:
    """The same scenes from the command line."""
    gate = base / "gate"
    special: dict[str, str] = demo["special"]  # type: ignore[assignment]
    types: dict[str, str] = demo["ticket_types"]  # type: ignore[assignment]

    def token(ticket: str, *extra: str) -> str:
        return run("gatescan-demo", "--data", str(issuer), "token", ticket, *extra).stdout.strip()

    def scan(what: str, text: str, *opts: str) -> None:
        say(what)
        out = run("gatescan", "--data", str(gate), "check", text, *opts, check=False)
        print(out.stdout.rstrip() or out.stderr.rstrip(), flush=True)
        time.sleep(pause)

    say("Venue manager: add a gate device (its enrollment QR is shown as text here)")
    device = json.loads(run("gatescan-server", "--data", str(issuer), "device", "add",
                            "Demo gate", "--gate", "Gate 1", "--url", url, "--json").stdout)
    print(f"  handshake: {device['handshake']}")
    say("Gate: enroll with the handshake, pull the event")
    print(run("gatescan", "--data", str(gate), "enroll", device["handshake"]).stdout.rstrip())

    used = set(special.values())
    spare = [t for t, k in types.items() if k == "early_bird" and t not in used]
    early = special["early_bird"]
    shown = token(early)
    scan("A phone shows a valid ticket at Gate 1", shown)
    scan("The same person holds it up again at Gate 1 (a repeat read: not admitted twice)",
         shown)
    scan("The same ticket again at Gate 2", token(early), "--gate", "Gate 2")
    scan("A screenshot taken two minutes ago",
         token(special["vip"], "--at", str(int(time.time() - 120))), "--gate", "VIP Gate")
    scan("A refunded ticket", token(special["revoked"]))
    scan("A ticket transferred to a friend: the old phone", token(special["transferred"], "--old"))
    scan("... and the friend's phone", token(special["transferred"]))
    scan("An early-bird ticket at the VIP gate", token(spare[0]), "--gate", "VIP Gate")
    scan("A VIP ticket at the VIP gate", token(special["vip"]), "--gate", "VIP Gate")
    forged = list(token(spare[1]))
    forged[40] = "7" if forged[40] != "7" else "8"
    scan("A forged code (one character changed)", "".join(forged))
    for n in range(1, 6):
        scan(f"Group ticket, person {n}", token(special["group"]),
             "--gate", "Gate 1" if n % 2 else "Gate 2")
    scan("Re-entry ticket: in", token(special["reentry"]))
    scan("... out", token(special["reentry"]), "--direction", "exit")
    scan("... and back in", token(special["reentry"]), "--gate", "Gate 2")
    scan("Something that is not a ticket", "https://example.org/coupon")

    say("Gate: push the scans to the server, pull changes")
    print(run("gatescan", "--data", str(gate), "sync", "--once", check=False).stdout.rstrip())
    say("Gate status")
    print(run("gatescan", "--data", str(gate), "status").stdout.rstrip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", "--data", type=Path,
                        help="keep the demo's data here (default: a temp dir)")
    parser.add_argument("--terminal", action="store_true",
                        help="command-line walkthrough even when a display is available")
    parser.add_argument("--pause", type=float, default=0.0, help="seconds between terminal scenes")
    args = parser.parse_args()
    base = args.dir or Path(tempfile.mkdtemp(prefix="gatescan-demo-"))
    base.mkdir(parents=True, exist_ok=True)
    issuer = base / "issuer"
    gui = not args.terminal and bool(os.environ.get("DISPLAY") or
                                     os.environ.get("WAYLAND_DISPLAY"))

    say(f"Issuer: create the demo event (data in {issuer})")
    demo = json.loads(run("gatescan-demo", "--data", str(issuer), "event", "--tickets", "200",
                          "--json").stdout)
    print(f"  {demo['event_name']}: {len(demo['tickets'])} tickets, gates "
          f"{', '.join(g['name'] for g in demo['gates'])}")  # type: ignore[index]

    with server(issuer, base / "server.log") as url:
        print(f"  server: {url}  (dashboard: {url}/dashboard; log: {base / 'server.log'})")
        if gui:
            say("Gate window: enrolled with the server, camera = a video of phones")
            print("  Close the window to stop: the manager PIN is 2468 (also shown on screen).")
            return subprocess.call([tool("gatescan-demo"), "gate", "--gate-data",
                                    str(base / "gate"), "--issuer", str(issuer),
                                    "--server", url])
        if not args.terminal:
            print("  (no display: showing the command-line walkthrough; with a desktop, the "
                  "same command opens the gate window)")
        terminal_demo(base, issuer, url, demo, args.pause)
    print(f"\nDemo data kept in {base}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
