"""Screenshots of every verdict and of the manager view, for the docs.

Runs the real app against a throw-away demo event (real issuer, real ledger,
real tokens) with a still camera picture, and saves PNGs of the whole window at
each size (one folder per size), in each language:

    QT_QPA_PLATFORM=offscreen python -m gatescan.demo.screenshots docs/screenshots \
        --size 800x480 --size 1920x1080 --lang en --lang zh_CN
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEventLoop, QSize, QTimer
from PySide6.QtWidgets import QApplication

from gatescan.demo import synth
from gatescan.demo import video as demo_video
from gatescan.gate.camera.file_source import MemorySource
from gatescan.gate.camera.frames import FrameSource
from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.settings import ScannerSettings
from gatescan.gate.ui.app import AppDeps, GateApp
from gatescan.gate.ui.kinds import ScanSource
from gatescan.gate.ui.ledger_worker import ScanFailure
from gatescan.gate.ui.options import UiOptions
from gatescan.gate.ui.ui_settings import UiSettings
from gatescan.gate.verify.view import GateContext

log = logging.getLogger(__name__)

GATE = "Gate 1"
HISTORY_S = 2.5 * 3600


class ShiftedClock:
    """Wall time plus an offset the script moves (to show "already used" minutes later)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def _pump(ms: int = 10) -> None:
    """Run the event loop for `ms` milliseconds (the GUI thread never sleeps)."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def _wait(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not get there in time")
        _pump()


def _settle(seconds: float = 0.4) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        _pump()


def _prefill(gate_dir: Path, report: dict[str, object], tokens: demo_video.TokenSource,
             count: int) -> None:
    """A busy evening so far: scans spread over the last hours, admitted and refused."""
    tickets = list(report["tickets"])  # type: ignore[call-overload]
    rng = np.random.default_rng(7)
    now = time.time()
    times = np.sort(now - HISTORY_S * rng.power(1.6, count))
    with Ledger(gate_dir / "ledger.db") as ledger:
        context = GateContext(GATE, "entry", "demo-gate")
        for n, at in enumerate(times):
            ticket = str(tickets[8 + n % (len(tickets) - 8)])
            ledger.redeem(tokens.token(ticket, float(at)), float(at), context, source="camera")


def take(out: Path, *, language: str = "en", base: Path | None = None,
         size: tuple[int, int] = (1280, 800)) -> list[Path]:
    """Write the screenshots of a `size` window into `out`; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    root = base or Path(tempfile.mkdtemp(prefix="gatescan-shots-"))
    issuer_dir, gate_dir = root / "issuer", root / "gate"
    gate_dir.mkdir(parents=True, exist_ok=True)
    report = demo_video.server_report(issuer_dir, tickets=600)
    tokens = demo_video.phone_simulator(issuer_dir, int(report["rotation_period"]))
    with Ledger(gate_dir / "ledger.db") as ledger:
        ledger.import_manifest(str(report["manifest"]))
    _prefill(gate_dir, report, tokens, 420)
    ui = UiSettings.load(gate_dir)
    ui.gate, ui.language = GATE, language
    ui.set_pin("2468")
    ui.save()
    special: dict[str, str] = dict(report["special"])  # type: ignore[call-overload]
    scene = synth.scene(1280, 720, seed=11)

    def camera(_spec: str) -> FrameSource:
        return MemorySource([scene], fps=15.0, loop=True)

    clock = ShiftedClock()
    if QApplication.instance() is None:
        QApplication(sys.argv[:1])
    options = UiOptions(kiosk=False, sound=False, language=language, camera="demo",
                        width=size[0], height=size[1])
    gate = GateApp(AppDeps(ScannerSettings.build(gate_dir), options, source_factory=camera,
                           clock=clock))
    shots: list[Path] = []
    suffix = "" if language == "en" else f"-{language}"

    def shot(name: str) -> None:
        _settle()
        if gate.window.size() != QSize(*size):
            raise RuntimeError(f"the window is {gate.window.width()}x{gate.window.height()}, "
                               f"not {size[0]}x{size[1]}")
        image = gate.window.grab()
        path = out / f"{name}{suffix}.png"
        image.save(str(path))
        shots.append(path)
        log.info("saved %s", path)

    def scan(text: str) -> None:
        shown = len(seen)
        gate.redeem_requested.emit(text, ScanSource.CAMERA, time.perf_counter())
        _wait(lambda: len(seen) > shown)

    def typed(action: Callable[[], None]) -> None:
        shown = len(seen)
        action()
        _wait(lambda: len(seen) > shown)

    seen: list[object] = []
    gate.verdict_displayed.connect(seen.append)
    gate.window.gate._hold_ms = {tone: 600_000 for tone in gate.window.gate._hold_ms}
    ready: list[bool] = []
    gate.ready_to_scan.connect(lambda: ready.append(True))
    gate.start()
    try:
        _wait(lambda: bool(ready))
        _settle(1.6)  # one frame-rate report
        shot("ready")
        scan(tokens.token(special["vip"], clock()))
        shot("admit")
        clock.offset += 1  # inside even a 3 s repeat window
        scan(tokens.token(special["vip"], clock()))
        shot("repeat-read")  # the same phone again at once: not a second admission
        clock.offset += 7 * 60
        scan(tokens.token(special["vip"], clock()))
        shot("refused-already-used")
        scan(tokens.token(special["early_bird"], clock() - 150))
        shot("refused-screenshot")
        gate.window.gate.show_ready()
        # The camera unplugged: the app's own handler of the camera worker's report (the
        # tests drive the real outage; here it is announced so the picture is repeatable).
        gate._camera_health_changed("lost", "unplugged")
        _settle(0.6)
        shot("camera-not-working")
        gate._camera_health_changed("ok", "")
        lookup = gate.window.gate.lookup
        gate.window.gate.open_lookup()
        lookup.field.setText(special["multi_day"])
        lookup._submit()  # the demo event carries names: the match is listed to compare
        _wait(lambda: lookup.results.isVisible())
        shot("manual-lookup")
        typed(lookup._submit)
        shot("admit-manual")  # recorded as a manual admission
        gate.window.gate.open_lookup()
        lookup.field.setText("0000-0000-00c0-ffee")  # not on the list: said in the panel
        lookup._submit()
        _wait(lambda: bool(lookup.error.text()))
        shot("manual-not-found")
        lookup.close_panel()
        # A Pi booting with no real-time clock: far behind the manifest, so time-bound
        # checks wait for a person (amber CHECK) until a sync sets the clock.
        clock.offset -= 400 * 86400
        scan(tokens.token(special["early_bird"], clock()))
        shot("check-clock")
        clock.offset += 400 * 86400
        typed(lambda: gate.ledger.scan_failed.emit(ScanFailure(
            "disk_full", "the disk is full", ScanSource.CAMERA, time.perf_counter())))
        shot("not-recorded")
        gate.window.gate.show_ready()
        gate.window.request_manager()
        gate.window.pin.field.setText("24")
        shot("manager-pin")
        gate.window.pin.hide()
        gate.window.show_manager()
        _wait(lambda: gate.window.manager.stats is not None)
        shot("manager")
        gate.window.show_setup()
        shot("setup")
    finally:
        gate.window.allow_close()
        gate.stop()
    close = getattr(tokens, "close", None)
    if close is not None:
        close()
    return shots


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: screenshots into a folder."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--lang", action="append", choices=["en", "zh_CN"],
                        help="language (repeat for several; default en)")
    parser.add_argument("--size", action="append", type=_size, metavar="WxH",
                        help="window size (repeat for several; default 1280x800); each "
                             "size's pictures go into a folder OUT/WxH")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    runs = [(size, language) for size in args.size or [(1280, 800)]
            for language in args.lang or ["en"]]
    if len(runs) == 1:
        (width, height), language = runs[0]
        for path in take(args.out / f"{width}x{height}", language=language,
                         size=(width, height)):
            print(path)
        return 0
    # One process per run: a language, once installed in a QApplication, stays.
    for (width, height), language in runs:
        subprocess.run([sys.executable, "-m", "gatescan.demo.screenshots", str(args.out),
                        "--size", f"{width}x{height}", "--lang", language], check=True)
    return 0


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(n) for n in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT") from None
    return width, height


if __name__ == "__main__":
    sys.exit(main())
