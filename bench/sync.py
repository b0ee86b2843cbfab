"""Benchmark the sync client against the real server (gatescan-server serve, SQLite).

    .venv/bin/python bench/sync.py                     # 80,000 tickets, 100,000 offline scans
    .venv/bin/python bench/sync.py --tickets 5000 --scans 10000     # quick run

Prints the time for:
  * a gate to pull an 80,000-ticket event from scratch (enrollment: code exchange,
    manifest download and import, first change pull), on a cold server (the server
    builds and caches the manifest) and on a warm one;
  * one gate to reconcile 100,000 offline scans: its first sync round after the
    outage, pushing them in batches of 5,000, as many as the server says it takes (it
    validates, stores, checks the gate's chain checkpoints and replays conflicts per
    batch; the gate records the per-item results) and pulling what changed; target
    <= 8 s (issue 15);
  * delta pulls on another gate: a handful of ticket changes (revocations and
    transfers), and the 100,000 scans of the first gate as remote scans.

Under load the wall time says more about the other jobs than about the code, so
the reconcile also prints the CPU seconds the gate (this process) and the server
process spent on it. To compare with another checkout (e.g. main before a change),
run both in one session, alternated, each with its own tree on PYTHONPATH:

    for i in 1 2; do for src in /tmp/base $PWD; do (cd $src && PYTHONPATH=$src \
        .venv/bin/python bench/sync.py --server-data /tmp/bench-sync); done; done

The server runs as a subprocess on a free loopback port with its data on the
same filesystem as --dir. The offline scans are appended to the gate's ledger
directly (hash-chained rows exactly as `Ledger.redeem` writes them, one
transaction) because signing and verifying 100,000 codes would only measure the
verifier, which bench/verify.py already does. Setting up the 80,000-ticket demo
takes about 15 s and is not timed; --server-data DIR keeps it for later runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from nacl.signing import SigningKey

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import summary, wait_until_healthy  # bench/machine.py, next to this file
from verify import machine_info

from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.settings import ScannerSettings
from gatescan.gate.sync.client import make_http_client
from gatescan.gate.sync.engine import SyncEngine
from gatescan.gate.sync.enroll import GateEnroller
from gatescan.gate.verify.view import GateContext
from gatescan.protocol.token import parse_ticket_id
from gatescan.protocol.verdict import Outcome, TicketFacts, Verdict

BIN = Path(sys.executable).parent
TIMEOUT = httpx.Timeout(60.0, connect=5.0)


def demo_cli(data: Path, *args: str) -> dict[str, Any]:
    """`gatescan-demo --data DATA ARGS --json` as a subprocess; its JSON."""
    out = subprocess.run([str(BIN / "gatescan-demo"), "--data", str(data), *args, "--json"],
                         capture_output=True, text=True, check=True)
    obj: dict[str, Any] = json.loads(out.stdout)
    return obj


def server_cli(data: Path, *args: str) -> dict[str, Any]:
    """`gatescan-server --data DATA ARGS --json` as a subprocess; its JSON."""
    out = subprocess.run([str(BIN / "gatescan-server"), "--data", str(data), *args, "--json"],
                         capture_output=True, text=True, check=True)
    obj = json.loads(out.stdout)
    assert isinstance(obj, dict)
    return obj


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(data: Path, profile: Path | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """Start the real server (under cProfile into `profile`); its process and URL."""
    port = free_port()
    cmd = [str(BIN / "gatescan-server")]
    if profile is not None:  # written when the server exits on SIGTERM
        cmd = [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "gatescan.server"]
    proc = subprocess.Popen([*cmd, "--data", str(data), "serve",
                             "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_until_healthy(url, proc, 30)
    return proc, url


def offline_scans(settings: ScannerSettings, tickets: list[str], count: int,
                  event_id: int) -> float:
    """Append `count` scans to the gate's log as an offline gate would; seconds taken."""
    started = time.perf_counter()
    device = settings.device_id()
    gate = GateContext("Gate 1", "entry", device)
    now = time.time()
    with Ledger(settings.ledger_path) as ledger:
        ledger.conn.execute("BEGIN IMMEDIATE")
        for i in range(count):
            tid = parse_ticket_id(tickets[i % len(tickets)])
            first = i < len(tickets)
            outcome = Outcome.ADMITTED if first else Outcome.ALREADY_USED
            verdict = Verdict(outcome, "Early Bird" if first else "Already used at Gate 1",
                              TicketFacts(tid, 0, 1), event_id=event_id)
            ledger._append_scan(verdict, now - count + i, gate, "camera")
        ledger.conn.execute("COMMIT")
    return time.perf_counter() - started


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process so far (Linux /proc; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(label: str, fn: Any) -> Any:
    started = time.perf_counter()
    result = fn()
    took = time.perf_counter() - started
    print(f"  {label:<52} {took:8.2f} s")
    return result, took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=80_000)
    parser.add_argument("--scans", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--server-data", type=Path, default=None,
                        help="keep the demo server data here and reuse it on later runs")
    parser.add_argument("--profile", type=Path, default=None,
                        help="write cProfile data of the reconcile: DIR/gate.prof (the gate's "
                             "round) and DIR/server.prof (the server process's main thread: "
                             "the event loop, not the route handlers in its thread pool)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="gatescan-bench-sync-", dir=args.dir))
    print(f"machine: {summary()}")
    print(f"  {dict(machine_info(work))['filesystem']}, SQLite "
          f"{dict(machine_info(work))['sqlite']}")
    template = args.server_data or work / "template"
    marker = template / "bench-demo.json"
    if not marker.exists() or json.loads(marker.read_text())["tickets_count"] != args.tickets:
        shutil.rmtree(template, ignore_errors=True)
        print(f"setting up a {args.tickets:,}-ticket demo event (not timed)...", flush=True)
        demo = demo_cli(template, "event", "--tickets", str(args.tickets), "--seed", "7")
        marker.write_text(json.dumps({"tickets_count": args.tickets, "demo": demo}))
    demo = json.loads(marker.read_text())["demo"]
    data = work / "server"
    shutil.copytree(template, data)
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    proc, url = serve(data, None if args.profile is None else args.profile / "server.prof")
    try:
        run(data, url, work, demo, args.scans, args.profile, proc.pid)
    finally:
        # uvicorn re-raises the signal it shut down on: SIGTERM would kill cProfile before it
        # writes its file, SIGINT ends in a KeyboardInterrupt that lets it write.
        proc.send_signal(signal.SIGINT if args.profile is not None else signal.SIGTERM)
        proc.wait(30)
        shutil.rmtree(work, ignore_errors=True)


def run(data: Path, url: str, work: Path, demo: dict[str, Any], scans: int,
        profile: Path | None = None, server_pid: int | None = None) -> None:
    tickets: list[str] = demo["tickets"]
    event_id = int(demo["event_id"])
    print(f"server: gatescan-server serve (SQLite), {len(tickets):,} tickets")

    def enroll(name: str, gate: str) -> tuple[ScannerSettings, SyncEngine, httpx.Client]:
        settings = ScannerSettings(work / name)
        http = make_http_client(TIMEOUT)
        handshake = server_cli(data, "device", "add", name, "--gate", gate, "--url", url)
        engine = SyncEngine(settings, http)
        (done, _) = timed(f"pull the event from scratch ({name})",
                          lambda: GateEnroller(settings, http, engine=engine)
                          .enroll(handshake["handshake"]))
        assert done.tickets == len(tickets) and done.warning is None, done
        return settings, engine, http

    print("pull:")
    a, engine_a, http_a = enroll("gate-a", "Gate 1")  # cold: the server builds the manifest
    b, engine_b, http_b = enroll("gate-b", "Gate 2")  # warm: served from the cache

    print("reconcile:")
    took = offline_scans(a, tickets, scans, event_id)
    print(f"  ({scans:,} offline scans written to gate-a's log in {took:.1f} s, not timed)")
    round_a = engine_a.sync_once
    if profile is not None:
        import cProfile

        def round_a() -> Any:
            with cProfile.Profile() as prof:
                result = engine_a.sync_once()
            prof.dump_stats(str(profile / "gate.prof"))
            return result
    server_cpu = None if server_pid is None else cpu_seconds(server_pid)
    gate_cpu = time.process_time()
    status, took = timed(f"reconcile {scans:,} offline scans (push + pull)", round_a)
    gate_cpu = time.process_time() - gate_cpu
    if server_cpu is not None:
        server_cpu = (cpu_seconds(server_pid) or 0.0) - server_cpu  # type: ignore[arg-type]
    assert status.online and status.pending_uploads == 0 and status.error is None, status
    print(f"  {'':<52} {scans / took:8.0f} scans/s "
          f"({engine_a.last_report.pushed:,} pushed)")
    print(f"  {'CPU: gate (this process)':<52} {gate_cpu:8.2f} s")
    if server_cpu is not None:
        print(f"  {'CPU: server process':<52} {server_cpu:8.2f} s")

    print("delta pull (gate-b):")
    changed = tickets[10:20]
    for tid in changed[:5]:
        server_cli(data, "revoke", tid)
    for tid in changed[5:]:  # to a new holder key, as `transfer --holder-key` takes it
        holder = bytes(SigningKey.generate().verify_key).hex()
        server_cli(data, "transfer", tid, "--holder-key", holder)
    # gate-b has not pulled since it enrolled: it now gets the ticket changes and
    # every one of gate-a's scans. First the changes alone, on a third gate's view:
    status, took = timed("10 ticket changes + the scans of another gate", engine_b.sync_once)
    assert status.online and status.error is None, status
    report = engine_b.last_report
    print(f"  {'':<52} {report.pulled:,} changes, {report.remote_scans:,} remote scans")
    for tid in tickets[20:25]:
        server_cli(data, "revoke", tid)
    status, took = timed("5 revocations (delta after a full catch-up)", engine_b.sync_once)
    assert engine_b.last_report.pulled == 5, engine_b.last_report
    with Ledger(b.ledger_path) as ledger:
        remote = ledger.conn.execute("SELECT count(*) FROM scans WHERE source = 'remote'"
                                     ).fetchone()[0]
    assert remote == scans, remote
    for http in (http_a, http_b):
        http.close()
    print(f"gate-a ledger {os.path.getsize(a.ledger_path) / 1e6:.1f} MB, "
          f"gate-b ledger {os.path.getsize(b.ledger_path) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
