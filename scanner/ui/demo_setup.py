"""`gatescan run --demo`: a throw-away issuer, a gate ledger loaded from its manifest, a video.

Everything lives in one temporary folder, so the operator's real gate data is
never touched. Uses the real `gatescan-server` issuer and the real manifest
import, as an operator would with a USB stick.
"""

from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.ledger.ledger import Ledger
from scanner.ui import demo_video

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DemoPlan:
    """Where the demo's gate data and video are, and which gate the video was made for."""

    gate_dir: Path
    video: Path
    gate: str
    start_at: float


def prepare_demo(base: Path | None = None) -> DemoPlan:
    """Create the demo event, preload its manifest onto a fresh gate, and make the video."""
    root = base or Path(tempfile.mkdtemp(prefix="gatescan-demo-"))
    issuer_dir, gate_dir = root / "issuer", root / "gate"
    gate_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    t0 = time.perf_counter()
    report: dict[str, Any] = demo_video.server_report(issuer_dir)
    with Ledger(gate_dir / "ledger.db") as ledger:
        if ledger.status()["event"] is None:
            ledger.import_manifest(report["manifest"])
    tokens = demo_video.phone_simulator(issuer_dir, int(report["rotation_period"]))
    video = root / "demo-phones.mp4"
    info = demo_video.make_demo_video(report, tokens, video)
    close = getattr(tokens, "close", None)
    if close is not None:
        close()
    log.info("demo prepared in %s (%.1f s)", root, time.perf_counter() - t0)
    return DemoPlan(gate_dir, video, str(info["gate"]), float(info["start_at"]))
