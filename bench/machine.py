"""What a benchmark ran on: shared by every script in bench/ (import as `machine`)."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from pathlib import Path


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo, else what `platform` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def memory() -> str:
    """Total memory, human-readable."""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return "?"
    return f"{kib / 1024 / 1024:.1f} GiB"


def load() -> str:
    """The 1/5/15-minute load averages (other jobs skew timings: say so)."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def summary() -> str:
    """One line: platform, CPU, cores, memory, Python, load."""
    return (f"{platform.platform()}, {cpu_model()}, {os.cpu_count()} cores, {memory()} RAM, "
            f"Python {platform.python_version()}, load {load()}")


def wait_until_healthy(url: str, proc: subprocess.Popen[bytes], seconds: float) -> None:
    """Wait for a `gatescan-server serve` started as `proc` to answer its health check."""
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")
