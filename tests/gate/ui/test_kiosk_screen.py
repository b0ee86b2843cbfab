"""`--kiosk` fills the screen of a bare X server (no window manager), through the real
console script under Xvfb."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[3]

PROBE = textwrap.dedent("""
    import re, signal, subprocess, sys, time
    gatescan, data = sys.argv[1], sys.argv[2]
    app = subprocess.Popen([gatescan, "--data", data, "run", "--kiosk", "--no-sound",
                            "--camera", "/dev/null-camera"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen = ""
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and app.poll() is None:
            tree = subprocess.run(["xwininfo", "-root", "-tree"], capture_output=True,
                                  text=True).stdout
            found = re.findall(r'"GateScan".*?(\\d+x\\d+\\+-?\\d+\\+-?\\d+)', tree)
            if found:
                seen = found[-1]
                if seen.startswith(sys.argv[3]):
                    break
            time.sleep(0.2)
    finally:
        app.send_signal(signal.SIGTERM)
        try:
            app.wait(15)
        except subprocess.TimeoutExpired:
            app.kill()
    print("GEOMETRY", seen)
""")


@pytest.mark.skipif(shutil.which("xvfb-run") is None or shutil.which("xwininfo") is None,
                    reason="needs xvfb-run and xwininfo (x11-utils)")
def test_kiosk_fills_a_screen_with_no_window_manager(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 1024x600x24", sys.executable, "-c", PROBE,
         str(BIN / "gatescan"), str(tmp_path / "gate"), "1024x600"],
        env=env, capture_output=True, text=True, timeout=120)
    assert "GEOMETRY" in done.stdout, done.stderr
    assert "GEOMETRY 1024x600+0+0" in done.stdout, done.stdout
