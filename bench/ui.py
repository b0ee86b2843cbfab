"""Gate app benchmark: decoded frame -> verdict shown, UI-thread stalls, memory, start-up time.

Runs the real app (real ledger with durable commits, real decoder, real demo
tokens) with a 1280x720, 30 fps phone video as the camera and the preview at
30 fps, then starts the app again in a fresh process to time start -> ready.

The latency runs compare the app's verdict path ("quick": camera thread -> ledger
thread -> UI, the verdict painted at once (once), the aiming frame drawn
once) with the one before it ("direct": the same with GateApp.set_quick_verdict(False)),
verdict by verdict in the same run; the older "via-ui" (camera -> UI -> ledger -> UI)
runs on its own. Each run starts from a fresh copy of the same ledger and prints
where the time goes. "Verdict shown" is the end of the window's paint pass that has
the verdict panel in it (children painted, handed to the screen).

    .venv/bin/python bench/ui.py [--scans 40] [--rounds 2] [--paths quick,direct]
Uses the X display if $DISPLAY is set (e.g. under xvfb-run), else Qt offscreen.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import cpu_model, summary

if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import PySide6
from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from gatescan.demo import video as demo_video
from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.settings import ScannerSettings
from gatescan.gate.ui.app import AppDeps, GateApp
from gatescan.gate.ui.display import Tone, VerdictDisplay
from gatescan.gate.ui.latency import STAGES, LatencySample
from gatescan.gate.ui.options import UiOptions
from gatescan.gate.ui.ui_settings import UiSettings

GATE = "Gate 1"
STALL_TICK_MS = 5


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process in MB."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def machine() -> str:
    """CPU, cores, Python and Qt versions."""
    cpu = cpu_model()
    load = os.getloadavg()[0]
    return (f"{cpu}, {os.cpu_count()} cores (load average {load:.1f} at the end), "
            f"Python {platform.python_version()}, PySide6 {PySide6.__version__}")


PATHS = {"quick": (True, True), "direct": (True, False), "via-ui": (False, False)}
# name -> (AppDeps.direct_scans, AppDeps.quick_verdict)


def prepare(root: Path, scans: int) -> tuple[Path, Path, float]:
    """A gate loaded from the demo manifest, a 720p video of `scans` phones, its start time."""
    issuer, gate = root / "issuer", root / "gate"
    gate.mkdir(parents=True)
    report = demo_video.server_report(issuer, tickets=max(200, scans * 2))
    with Ledger(gate / "ledger.db") as ledger:
        ledger.import_manifest(str(report["manifest"]))
    ui = UiSettings.load(gate)
    ui.gate = GATE
    ui.set_pin("2468")
    ui.save()
    tokens = demo_video.phone_simulator(issuer, int(report["rotation_period"]))
    tickets = [t for t in report["tickets"] if t not in report["special"].values()]
    scenes = [demo_video.Scene(f"ticket {n}", t, "admitted")
              for n, t in enumerate(tickets[:scans])]
    video = root / "phones-720p.avi"
    start = time.time() + 3.0
    demo_video.write_video(video, scenes, tokens, start, fps=30,
                           size=(1280, 720), phone_s=0.4, gap_s=0.3)
    return gate, video, start


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the sorted `values` lie (nan for none)."""
    ordered = sorted(values)
    return ordered[int(share * (len(ordered) - 1))] if ordered else float("nan")


def latency_stats(samples: list[LatencySample]) -> dict[str, float]:
    """Median and p95 of each step, of decoded -> shown, and of the UI thread's part."""
    steps = {stage: [s.steps_ms()[stage] for s in samples] for stage in STAGES}
    shown = sorted((s.painted - s.decoded) * 1000 for s in samples)
    series = {
        **steps,
        "total_flushed": [(s.flushed - s.decoded) * 1000 for s in samples],
        "ui_cpu": [s.ui_cpu_ms for s in samples],
        "ui_wall": [(s.painted - s.received) * 1000 for s in samples],
    }
    return {
        **{f"{name}_median": statistics.median(v) if v else float("nan")
           for name, v in series.items()},
        **{f"{name}_p95": percentile(v, 0.95) for name, v in series.items()},
        "median_ms": statistics.median(shown) if shown else float("nan"),
        "p95_ms": percentile(shown, 0.95),
        "max_ms": shown[-1] if shown else float("nan"),
        "samples": float(len(samples)),
    }


def run_in_process(gate: Path, video: Path, scans: int, video_start: float,
                   direct: bool = True, poll: bool = False,
                   quick: bool | None = True) -> dict[str, dict[str, float]]:
    """Play the video through the app; measure latency, stalls and memory.

    With `quick` None, the verdicts alternate between the quick path and the one before
    it (GateApp.set_quick_verdict), one verdict each; the figures come back by path name.
    The gate's clock runs as if the video started now, so each round's codes are fresh.
    """
    app = QApplication.instance() or QApplication(sys.argv[:1])
    options = UiOptions(video=video, sound=False, preview_fps=30.0, language="en")
    shift = time.time() + 1.0 - video_start  # about when the app shows its first frame

    def clock() -> float:
        return time.time() - shift

    gate_app = GateApp(AppDeps(ScannerSettings.build(gate), options, clock=clock,
                               direct_scans=direct, quick_verdict=quick is not False))
    gate_app.window.gate._hold_ms = {tone: 300 for tone in Tone}
    shown: list[Tone] = []
    path_of: dict[float, str] = {}  # a sample's decode time -> the path its verdict took

    def displayed(display: VerdictDisplay) -> None:
        shown.append(display.tone)
        sample = gate_app.latency_log.pending()
        if sample is not None:
            path_of[sample.decoded] = "quick" if gate_app.quick_verdict else (
                "direct" if direct else "via-ui")
        if quick is None:  # the next code (>= 0.3 s on) takes the other path
            QTimer.singleShot(100, lambda: gate_app.set_quick_verdict(
                not gate_app.quick_verdict))

    gate_app.verdict_displayed.connect(displayed)
    gaps: list[float] = []
    busy: list[float] = []  # UI-thread CPU time inside each gap: the app's own work
    cpu = [time.thread_time()]
    tick = QElapsedTimer()
    ticker = QTimer()
    ticker.setInterval(STALL_TICK_MS)

    def on_tick() -> None:
        gaps.append(tick.nsecsElapsed() / 1e6)
        now_cpu = time.thread_time()
        busy.append((now_cpu - cpu[0]) * 1000)
        cpu[0] = now_cpu
        tick.restart()

    ticker.timeout.connect(on_tick)
    memory: list[tuple[float, float]] = []
    sampler = QTimer()
    sampler.timeout.connect(lambda: memory.append(rss_mb()))
    sampler.start(500)
    gate_app.start()
    sys.setswitchinterval(0.001)  # as run_app does
    gc.collect()
    gc.freeze()
    tick.start()
    ticker.start()
    deadline = time.monotonic() + scans * 0.7 + 30

    def finished() -> bool:
        return (len(shown) >= scans or time.monotonic() >= deadline
                or gate_app.window.gate.strip.camera.plain() == "Video ended")

    if poll:  # the bench's loop before: up to a millisecond (and a wake-up) per UI-thread hop
        while not finished():
            app.processEvents()
            time.sleep(0.001)
    else:  # the app's own loop (run_app calls app.exec()): wakes as soon as an event is posted
        loop = QEventLoop()
        checker = QTimer()
        checker.timeout.connect(lambda: loop.quit() if finished() else None)
        checker.start(50)
        loop.exec()
        checker.stop()
    ticker.stop()
    sampler.stop()
    painted = gate_app.window.gate.preview.frames_painted + \
        gate_app.window.gate.verdict.inset.frames_painted
    gate_app.window.allow_close()
    gate_app.stop()
    steady = gaps[20:] or gaps
    steady_busy = busy[20:] or busy
    by_path: dict[str, list[LatencySample]] = {}
    for sample in gate_app.latency_log.samples:
        by_path.setdefault(path_of.get(sample.decoded, "?"), []).append(sample)
    run = {
        "verdicts": len(shown), "admitted": shown.count(Tone.ADMIT),
        "stall_ms": max(steady) - STALL_TICK_MS if steady else float("nan"),
        "tick_p99_ms": sorted(steady)[int(0.99 * (len(steady) - 1))] if steady else 0.0,
        "busy_ms": max(steady_busy) if steady_busy else float("nan"),
        "bench_rss_mb": max((m[0] for m in memory), default=rss_mb()[0]),
        "preview_frames": float(painted),
    }
    return {path: {**run, **latency_stats(samples)} for path, samples in by_path.items()}


def proc_rss_mb(pid: int) -> float:
    """Resident memory of another process in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def start_to_ready(gate: Path, video: Path, runs: int = 3,
                   settle_s: float = 8.0) -> tuple[list[float], float]:
    """Seconds from spawning `python -m gatescan.gate.ui run` to its READY line, and its RSS (MB).

    The first run keeps playing the 720p video for `settle_s` before its memory is read.
    """
    times: list[float] = []
    rss = 0.0
    for run in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "gatescan.gate.ui", "--data", str(gate), "run", "--video",
             str(video), "--no-sound", "--announce-ready", "--lang", "en"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("READY"):
                times.append(time.perf_counter() - t0)
                break
        if run == 0:
            time.sleep(settle_s)
            rss = proc_rss_mb(proc.pid)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return times, rss


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scans", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=2, help="latency runs per path")
    parser.add_argument("--paths", default="quick,direct",
                        help="verdict paths to alternate: quick (the app's), direct (before "
                             "it), via-ui (older)")
    parser.add_argument("--by-run", action="store_true",
                        help="quick and direct in separate runs (ABBA) instead of verdict by "
                             "verdict in one run")
    parser.add_argument("--no-startup", action="store_true", help="skip start -> ready")
    parser.add_argument("--poll", action="store_true",
                        help="drive Qt with processEvents() + sleep(1 ms), as this bench did "
                             "before, instead of the event loop the app runs")
    args = parser.parse_args()
    paths = [p for p in args.paths.split(",") if p]
    unknown = [p for p in paths if p not in PATHS]
    if unknown or not paths:
        parser.error(f"unknown path(s) {unknown}: choose from {', '.join(PATHS)}")
    loads = [os.getloadavg()]
    runs: dict[str, list[dict[str, float]]] = {p: [] for p in paths}  # one per round
    ready: list[float] = []
    app_rss = 0.0
    with tempfile.TemporaryDirectory(prefix="gatescan-bench-ui-") as tmp:
        gate, video, video_start = prepare(Path(tmp), args.scans)
        template = Path(tmp) / "gate-template"
        shutil.copytree(gate, template)
        # quick and direct share one run, verdict by verdict in turn (the same seconds of
        # the same machine); another path runs on its own, the order reversed every other
        # round. One short unmeasured run first: fonts, glyph and paint caches, imports.
        jobs: list[tuple[bool, bool | None]] = []
        if {"quick", "direct"} <= set(paths) and not args.by_run:
            jobs.append((True, None))
        jobs += [PATHS[p] for p in paths
                 if not (jobs and p in ("quick", "direct"))]
        run_in_process(gate, video, min(8, args.scans), video_start, direct=jobs[0][0],
                       poll=args.poll, quick=jobs[0][1])
        for n in range(args.rounds):
            for direct, quick in jobs if n % 2 == 0 else jobs[::-1]:
                shutil.rmtree(gate)
                shutil.copytree(template, gate)
                result = run_in_process(gate, video, args.scans, video_start,
                                        direct=direct, poll=args.poll, quick=quick)
                for path, figures in result.items():
                    if path in runs:
                        runs[path].append(figures)
                loads.append(os.getloadavg())
        if not args.no_startup:
            ready, app_rss = start_to_ready(gate, video)
    qpa = os.environ.get("QT_QPA_PLATFORM") or "xcb"
    print(f"machine: {summary()}")
    print(f"    {machine()}, Qt platform {qpa}, "
          f"{'processEvents + 1 ms sleep' if args.poll else 'Qt event loop'}")
    print("    1-minute load average before and after each latency run: "
          + ", ".join(f"{x[0]:.1f}" for x in loads))
    for path in paths:
        for n, r in enumerate(runs[path]):
            print(f"[{path} #{n + 1}] {int(r['samples'])} of the run's {int(r['verdicts'])} "
                  f"verdicts ({int(r['admitted'])} admitted), {int(r['preview_frames'])} "
                  f"preview frames painted; decoded "
                  f"frame -> verdict shown: median {r['median_ms']:.1f} ms, p95 "
                  f"{r['p95_ms']:.1f} ms, max {r['max_ms']:.1f} ms; event loop back after "
                  f"the paint: median {r['total_flushed_median']:.1f} ms, p95 "
                  f"{r['total_flushed_p95']:.1f} ms")
            print(f"    UI thread, median / p95 ms: CPU from verdict received to the loop "
                  f"back {r['ui_cpu_median']:.2f} / {r['ui_cpu_p95']:.2f}, wall from verdict "
                  "received to shown "
                  f"{r['ui_wall_median']:.2f} / {r['ui_wall_p95']:.2f}")
            print("    steps, median / p95 ms: " + ", ".join(
                f"{stage} {r[stage + '_median']:.2f} / {r[stage + '_p95']:.2f}"
                for stage in STAGES))
    if len(paths) == 2 and all(runs.values()):
        a, b = (runs[p] for p in paths)
        for key in ("median_ms", "p95_ms", "ui_wall_median", "ui_wall_p95", "ui_cpu_median",
                    "ui_cpu_p95"):
            ratio = statistics.median(x[key] / y[key] for x, y in zip(a, b, strict=False))
            how = ("same runs, verdict by verdict" if {"quick", "direct"} == set(paths)
                   and not args.by_run else "alternating runs")
            print(f"{paths[0]} / {paths[1]} {key.removesuffix('_ms')}: {ratio:.2f} "
                  f"(median of {min(len(a), len(b))} rounds' ratios, {how})")
    r = runs[paths[0]][-1]
    print(f"camera: 1280x720 video at 30 fps, preview 30 fps; {int(r['verdicts'])} verdicts "
          f"({int(r['admitted'])} admitted), {int(r['preview_frames'])} preview frames painted")
    print(f"decoded frame -> verdict shown ({paths[0]}): median {r['median_ms']:.1f} ms, "
          f"p95 {r['p95_ms']:.1f} ms, max {r['max_ms']:.1f} ms (incl. durable ledger commit)")
    print(f"longest UI-thread stall: {r['stall_ms']:.1f} ms wall (target < 16), of which at "
          f"most {r['busy_ms']:.1f} ms UI-thread CPU (the rest: waiting for a core); "
          f"{STALL_TICK_MS} ms timer p99 interval {r['tick_p99_ms']:.1f} ms")
    own = (f"{app_rss:.0f} MB (target < 250)" if not args.no_startup
           else "not measured (--no-startup starts no app process)")
    print(f"resident memory of the app (own process, 720p video camera, 8 s in): {own}; "
          f"this bench process, which also made the video: {r['bench_rss_mb']:.0f} MB")
    if args.no_startup:
        pass
    elif ready:
        print(f"start -> ready to scan: median {statistics.median(ready):.2f} s, "
              f"max {max(ready):.2f} s over {len(ready)} runs (target < 3 s)")
    else:
        print("start -> ready to scan: the app never reported ready")
    return 0


if __name__ == "__main__":
    sys.exit(main())
