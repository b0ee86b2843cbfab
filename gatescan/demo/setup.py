"""`gatescan-demo gate`: a throw-away gate with the demo event, and a video of phones.

Two ways to get the event onto the gate, as an operator would: preload the
issuer's signed manifest (`prepare_demo`, no server needed), or enroll with a
running `gatescan-server serve` (`prepare_enrolled_demo`), which then keeps the
gate in sync. The gate's data lives in a temporary folder unless `--data` names
one, so the operator's real gate data is never touched. The demo gate's manager
PIN is DEMO_PIN, and the window shows it.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gatescan.demo import video as demo_video
from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.settings import ScannerSettings
from gatescan.gate.sync.handshake import Enroller, parse_handshake
from gatescan.gate.ui.ui_settings import UiSettings

log = logging.getLogger(__name__)
DEMO_PIN = "2468"


@dataclass(frozen=True, slots=True)
class DemoPlan:
    """Where the demo's gate data and video are, and which gate the video was made for."""

    gate_dir: Path
    video: Path
    gate: str
    start_at: float


def _dirs(base: Path | None, gate_dir: Path | None) -> tuple[Path, Path]:
    """(issuer, gate) folders: inside `gate_dir` when given (`--data`), else a new temp."""
    if gate_dir is not None:
        gate_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        return gate_dir / "demo-issuer", gate_dir
    root = base or Path(tempfile.mkdtemp(prefix="gatescan-demo-"))
    (root / "gate").mkdir(parents=True, exist_ok=True, mode=0o700)
    return root / "issuer", root / "gate"


def _set_pin(gate_dir: Path) -> None:
    ui = UiSettings.load(gate_dir)
    if not ui.pin_set:
        ui.set_pin(DEMO_PIN)
        ui.save()


def prepare_demo(base: Path | None = None, *, gate_dir: Path | None = None) -> DemoPlan:
    """Create the demo event, preload its manifest onto a fresh gate, and make the video.

    `gate_dir` (from `--data`) holds the gate's data, and the issuer's in a sub-folder."""
    issuer_dir, gate_dir = _dirs(base, gate_dir)
    t0 = time.perf_counter()
    report: dict[str, Any] = demo_video.server_report(issuer_dir)
    with Ledger(gate_dir / "ledger.db") as ledger:
        if ledger.status().event is None:
            ledger.import_manifest(report["manifest"])
    _set_pin(gate_dir)
    tokens = demo_video.phone_simulator(issuer_dir, int(report["rotation_period"]))
    video = gate_dir / "demo-phones.mp4"
    info = demo_video.make_demo_video(report, tokens, video, ledger=gate_dir / "ledger.db")
    close = getattr(tokens, "close", None)
    if close is not None:
        close()
    log.info("demo prepared in %s (%.1f s)", gate_dir, time.perf_counter() - t0)
    return DemoPlan(gate_dir, video, str(info["gate"]), float(info["start_at"]))


def prepare_enrolled_demo(issuer_dir: Path, server_url: str, enroller_for: object = None,
                          base: Path | None = None, *,
                          gate_dir: Path | None = None) -> DemoPlan:
    """Enroll a fresh gate with the running server of `issuer_dir`, then make the video.

    `enroller_for(settings)` builds the enroller (default: the sync engine's); `gate_dir`
    (from `--data`) is where the gate's data goes.
    """
    _unused, gate_dir = _dirs(base, gate_dir)
    report: dict[str, Any] = demo_video.server_report(issuer_dir)
    exe = str(Path(sys.executable).with_name("gatescan-server"))
    added = subprocess.run(
        [exe, "--data", str(issuer_dir), "device", "add", f"demo-{gate_dir.parent.name}",
         "--gate", demo_video.DEMO_GATE, "--url", server_url, "--json"],
        capture_output=True, text=True, check=True, timeout=120)
    handshake = parse_handshake(json.loads(added.stdout)["handshake"])
    enroller = _enroller(ScannerSettings.build(gate_dir), enroller_for)
    enroller.enroll(handshake)
    _set_pin(gate_dir)
    tokens = demo_video.phone_simulator(issuer_dir, int(report["rotation_period"]))
    video = gate_dir / "demo-phones.mp4"
    info = demo_video.make_demo_video(report, tokens, video, ledger=gate_dir / "ledger.db")
    close = getattr(tokens, "close", None)
    if close is not None:
        close()
    return DemoPlan(gate_dir, video, str(info["gate"]), float(info["start_at"]))


def _enroller(settings: ScannerSettings, factory: object) -> Enroller:
    if callable(factory):
        made: Enroller = factory(settings)
        return made
    from gatescan.gate.ui.sync_link import find_sync

    _service, enroller = find_sync(settings)
    return enroller
