"""Benchmark the wallet page in headless Debian Chromium against the real server.

    .venv/bin/python bench/wallet.py              # 5 fresh phones
    .venv/bin/python bench/wallet.py --phones 10

Starts `gatescan-server serve` on a free loopback port with a demo event, issues
one wallet ticket per phone (`gatescan-server ticket issue`), and for each phone
(a fresh browser profile) prints:
  * page weight: bytes transferred for the page and every file it loads on the
    first visit (Resource Timing `transferSize`, headers included; target
    < 100 KB), and the files' raw and gzip sizes;
  * load -> first code on screen: from navigation start to the moment the first
    signed QR code is in the page (`performance.mark("gatescan-first-code")`),
    on the first visit (key generation, claim round trip, signing, QR) and on a
    later visit (from the service worker's cache), online and offline.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import summary  # bench/machine.py, next to this file

from gatescan.server.wallet.assets import WalletAssets

BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
FIRST_CODE = """() => new Promise((resolve) => {
  const look = () => {
    const mark = performance.getEntriesByName("gatescan-first-code")[0];
    if (mark) resolve(mark.startTime); else setTimeout(look, 5);
  };
  look();
})"""
TRANSFERRED = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const res = performance.getEntriesByType("resource").filter((r) => !r.name.includes("/api/"));
  return {bytes: nav.transferSize + res.reduce((n, r) => n + r.transferSize, 0),
          files: 1 + res.length};
}"""


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_json(data: Path, *args: str) -> dict[str, Any]:
    """`gatescan-server --data DATA ARGS --json`: its JSON."""
    out = subprocess.run([str(BIN / "gatescan-server"), "--data", str(data), *args, "--json"],
                         capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def serve(data: Path, port: int) -> subprocess.Popen[bytes]:
    """Start the real server and wait until it answers."""
    proc = subprocess.Popen([str(BIN / "gatescan-server"), "--data", str(data), "serve",
                             "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


def one_phone(pw: Any, link: str, profile: Path) -> dict[str, float]:
    """Claim on a fresh profile, then reopen online and offline; sizes and times."""
    context = pw.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, headless=True, args=FLAGS,
        viewport={"width": 390, "height": 844}, device_scale_factor=2)
    try:
        page = context.new_page()
        page.goto(link)
        first = float(page.evaluate(FIRST_CODE))
        sent = page.evaluate(TRANSFERRED)
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.reload()
        again = float(page.evaluate(FIRST_CODE))
        again_sent = page.evaluate(TRANSFERRED)
        context.set_offline(True)
        page.reload()
        offline = float(page.evaluate(FIRST_CODE))
        return {"first_ms": first, "bytes": sent["bytes"], "files": sent["files"],
                "again_ms": again, "again_bytes": again_sent["bytes"], "offline_ms": offline}
    finally:
        context.close()


def _ms(values: list[float]) -> str:
    return f"median {statistics.median(values):.0f} ms, max {max(values):.0f} ms"


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--phones", type=int, default=5, help="fresh browser profiles")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    assets = WalletAssets.load()
    raw = sum(len(a.body) for a in assets.files.values())
    packed = sum(len(a.gzipped or a.body) for a in assets.files.values())
    chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True,
                              check=True).stdout.strip()
    print(f"machine: {summary()}")
    print(f"browser: {chromium} (headless), playwright {version('playwright')}")
    print(f"page files: {len(assets.files)}, {raw / 1024:.1f} KB raw, "
          f"{packed / 1024:.1f} KB gzip")
    with tempfile.TemporaryDirectory(prefix="gatescan-wallet-bench-") as tmp:
        data = Path(tmp) / "data"
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        subprocess.run([str(BIN / "gatescan-demo"), "--data", str(data), "event", "--tickets",
                        "8"], capture_output=True, check=True)
        links = [server_json(data, "ticket", "issue", "--type", "2", "--seat", f"A {i}",
                             "--url", base)["url"] for i in range(args.phones)]
        proc = serve(data, port)
        try:
            with sync_playwright() as pw:
                runs = [one_phone(pw, link, Path(tmp) / f"phone-{i}")
                        for i, link in enumerate(links)]
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    weight = max(r["bytes"] for r in runs)
    verdict = "within" if weight < 100_000 else "OVER"
    print(f"first visit (claim): {weight / 1024:.1f} KB transferred in "
          f"{int(runs[0]['files'])} files ({verdict} the 100 KB target, code included)")
    print(f"  load -> first code: {_ms([r['first_ms'] for r in runs])} "
          f"(key generation + claim round trip + signing + QR), n={len(runs)}")
    print(f"later visit (service worker cache): "
          f"{max(r['again_bytes'] for r in runs) / 1024:.1f} KB transferred, "
          f"load -> first code {_ms([r['again_ms'] for r in runs])}")
    print(f"offline reload: load -> first code {_ms([r['offline_ms'] for r in runs])}")


if __name__ == "__main__":
    main()
