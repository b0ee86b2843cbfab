"""The kiosk for real: packaging/gatescan-kiosk under a Wayland compositor, as a non-root user.

cage (what the unit starts on a Pi) needs a DRM device for its headless backend
and refuses root, so this runs Debian's weston instead: headless, pixman
renderer, 800x480 (the official 7" Pi display), its desktop shell (weston 10's
kiosk shell captures only black on the headless backend); the gate asks for
full screen itself, as it does under cage. The gate is the same `gatescan-kiosk` script the
systemd unit runs, on Qt's Wayland platform; its camera is a video of a phone
showing a valid code. The screenshot is weston's own capture of its output.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from gatescan.demo import synth
from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.ui.ui_settings import UiSettings
from tests.factories import Issuer
from tests.packaging.kiosk_user import ROOT, as_user, base_env, give_to_user, kiosk_venv

WIDTH, HEIGHT = 800, 480
ADMIT_BGR = np.array([0x35, 0x7A, 0x13], np.int16)  # theme.py: Tone.ADMIT background #137a35
KIOSK = ROOT / "packaging" / "gatescan-kiosk"
SHOT_TIMEOUT_S = float(os.environ.get("GATESCAN_KIOSK_TIMEOUT", "240"))  # a loaded CI box

pytestmark = pytest.mark.skipif(shutil.which("weston") is None
                                or shutil.which("weston-screenshooter") is None,
                                reason="weston is not installed (packaging/setup.sh installs it)")


@pytest.fixture
def box() -> Iterator[Path]:
    """A world-readable temporary directory (pytest's own is root-only)."""
    with tempfile.TemporaryDirectory(prefix="gatescan-kiosk-") as name:
        path = Path(name)
        path.chmod(0o755)
        yield path


def _gate_data(base: Path) -> tuple[Path, str]:
    """A set-up gate (manifest, gate, PIN) and a code valid now for one of its tickets."""
    issuer = Issuer()
    now = int(time.time())
    manifest = issuer.write_manifest(base / "event.gsm",
                                     [(n, 1, 0, None) for n in range(0x1001, 0x1011)])
    data = base / "data"
    data.mkdir()
    with Ledger(data / "ledger.db") as ledger:
        ledger.import_manifest(manifest)
    ui = UiSettings.load(data)
    ui.gate, ui.language = "Gate 1", "en"
    ui.set_pin("2468")
    ui.save()
    phone = issuer.issue(0x1003, valid_from=now - 86400, valid_until=now + 86400)
    return data, phone.token(now, period=issuer.policy.rotation_period)


def _phone_video(path: Path, code: str, fps: int = 5) -> None:
    """An MJPG video: 2 s of an empty scene, then 25 s of a phone showing `code`."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (640, 480))
    assert writer.isOpened()
    try:
        for i in range(27 * fps):
            text = code if i >= 2 * fps else None
            writer.write(synth.phone_frame(text, 640, 480, code_frac=0.55, seed=i % 7))
    finally:
        writer.release()


def _wait_for(path: Path, proc: subprocess.Popen[bytes], what: str) -> None:
    for _ in range(100):
        if path.exists():
            return
        assert proc.poll() is None, f"{what} exited with {proc.returncode}"
        time.sleep(0.1)
    raise AssertionError(f"{what} did not create {path}")


def _admit_share(png: Path) -> float:
    """The share of the picture painted in the admit green."""
    image = cv2.imread(str(png))
    assert image is not None, png
    assert image.shape[:2] == (HEIGHT, WIDTH), image.shape
    close = np.abs(image.astype(np.int16) - ADMIT_BGR).max(axis=2) <= 12
    return float(close.mean())


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.mark.slow
def test_kiosk_script_under_weston_shows_the_verdict_full_screen(box: Path) -> None:
    venv, why = kiosk_venv()
    if venv is None:
        pytest.fail(why)
    data, code = _gate_data(box)
    video = box / "phone.avi"
    _phone_video(video, code)
    home, xdg, shots = box / "opt-gatescan", box / "xdg", box / "shots"
    for d in (home, xdg, shots):
        d.mkdir()
    (home / ".venv").symlink_to(venv)  # the script runs "$GATESCAN_HOME/.venv/bin/python"
    xdg.chmod(0o700)
    give_to_user(box)
    socket = f"gatescan-test-{os.getpid()}"
    env = {**base_env(home), "XDG_RUNTIME_DIR": str(xdg)}
    weston = subprocess.Popen(
        as_user(["weston", "--backend=headless-backend.so", "--use-pixman",
                 f"--width={WIDTH}", f"--height={HEIGHT}",
                 "--no-config", "--debug", f"--socket={socket}",
                 f"--log={box / 'weston.log'}"], env),
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kiosk_log = box / "kiosk.log"
    kiosk: subprocess.Popen[bytes] | None = None
    try:
        _wait_for(xdg / socket, weston, "weston")
        app_env = {**env, "WAYLAND_DISPLAY": socket, "GATESCAN_HOME": str(home),
                   "GATESCAN_DATA": str(data), "GATESCAN_ARGS": "--no-sound"}
        with kiosk_log.open("wb") as log:
            kiosk = subprocess.Popen(as_user([str(KIOSK), "--video", str(video)], app_env),
                                     start_new_session=True, stdout=log, stderr=log)
        best, share = None, 0.0
        deadline = time.monotonic() + SHOT_TIMEOUT_S
        while time.monotonic() < deadline and share < 0.6:
            assert kiosk.poll() is None, kiosk_log.read_text(errors="replace")
            subprocess.run(as_user(["sh", "-c", f"cd {shots} && exec weston-screenshooter"],
                                   {**env, "WAYLAND_DISPLAY": socket}),
                           check=True, capture_output=True, timeout=30)
            for png in sorted(shots.glob("*.png")):
                share, best = _admit_share(png), png
                if share >= 0.6:
                    break
                best = png.replace(box / "last.png")
            time.sleep(0.3)
        keep = os.environ.get("GATESCAN_KIOSK_SHOT")
        if keep and best is not None:
            shutil.copyfile(best, keep)
        assert best is not None and share >= 0.6, (
            f"no full-screen admit in {SHOT_TIMEOUT_S:.0f} s (best {share:.0%})\n"
            + kiosk_log.read_text(errors="replace"))
    finally:
        if kiosk is not None:
            _stop(kiosk)
        _stop(weston)
