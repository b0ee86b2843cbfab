"""The gate app where the machine lacks something: no display, no sound card."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatescan.gate.ui.screen_check import display_problem

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[3]


def bare_env(**extra: str) -> dict[str, str]:
    """This environment without any display, plus `extra`."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


@pytest.mark.parametrize("extra", [{}, {"QT_QPA_PLATFORM": "xcb", "DISPLAY": ":87"},
                                   {"WAYLAND_DISPLAY": "wayland-87"}, {"refusing": "yes"}],
                         ids=["nothing", "xcb-without-server", "wayland-without-socket",
                              "wayland-refuses"])
def test_without_a_display_run_says_how_and_exits_2(tmp_path: Path,
                                                     extra: dict[str, str]) -> None:
    extra = dict(extra)
    if extra.pop("refusing", None):  # a socket path that is there but nobody answers
        (tmp_path / "wayland-9").touch()
        extra.update(QT_QPA_PLATFORM="wayland", XDG_RUNTIME_DIR=str(tmp_path),
                     WAYLAND_DISPLAY="wayland-9")
    done = subprocess.run([str(BIN / "gatescan"), "--data", str(tmp_path / "gate"), "run"],
                          env=bare_env(**extra), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "QT_QPA_PLATFORM=offscreen" in lines[0] and "kiosk" in lines[0]
    assert "reinstall" not in done.stderr.lower()


def test_a_display_or_a_standalone_platform_is_enough(tmp_path: Path) -> None:
    socket_dir = tmp_path / "run"
    socket_dir.mkdir()
    (socket_dir / "wayland-1").touch()
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}) is None
    assert display_problem({"QT_QPA_PLATFORM": "eglfs"}) is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-1",
                            "XDG_RUNTIME_DIR": str(socket_dir)}) is None
    assert display_problem({"DISPLAY": "otherhost:0"}) is None  # remote: Qt finds out
    assert display_problem({"QT_QPA_PLATFORM": "wayland;offscreen"}) is None
    assert display_problem({}, platform="win32") is None
    assert display_problem({}) is not None
    assert display_problem({"QT_QPA_PLATFORM": "xcb", "DISPLAY": ":87"}) is not None


@given(st.dictionaries(st.sampled_from(["DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM",
                                        "XDG_RUNTIME_DIR"]), st.text()))
def test_any_environment_gets_an_answer(env: dict[str, str]) -> None:
    answer = display_problem(env)
    assert answer is None or answer.strip()


SOUND_SCRIPT = textwrap.dedent("""
    import logging, shutil, sys, time
    from pathlib import Path
    from PySide6.QtCore import QCoreApplication
    from gatescan.gate.ui.display import Tone
    from gatescan.gate.ui.sounds import SoundPlayer

    logging.basicConfig(level=logging.INFO, format="LOG %(levelname)s %(message)s")
    app = QCoreApplication([])
    player = SoundPlayer(Path(sys.argv[1]), try_qt=False,
                         which=lambda name: shutil.which(name) if name == "aplay" else None)
    for _ in range(3):
        for tone in Tone:
            player.play(tone)
            end = time.monotonic() + 0.3
            while time.monotonic() < end:
                app.processEvents()
    end = time.monotonic() + 5
    while player._quiet.running and time.monotonic() < end:
        app.processEvents()
    print("backend", player.backend, "failed", player._quiet.failed)
""")


@pytest.mark.skipif(shutil.which("aplay") is None, reason="alsa-utils (aplay) not installed")
def test_no_sound_card_is_one_log_line_not_a_screenful(tmp_path: Path) -> None:
    """ALSA pointed at a configuration that does not exist: every `aplay` fails, as on a
    machine with no sound card. The app logs that once and says nothing else."""
    missing = tmp_path / "no-such-alsa.conf"
    done = subprocess.run([sys.executable, "-c", SOUND_SCRIPT, str(tmp_path / "sounds")],
                          env=bare_env(ALSA_CONFIG_PATH=str(missing), AUDIODEV="nosuchcard"),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "failed True" in done.stdout
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("LOG WARNING no sound output")
    assert "ALSA" not in done.stdout
