"""A demo "camera": a video of phones held up to the gate showing real rotating codes.

Every kind of verdict appears within a minute: a valid ticket, the same phone
again a few seconds later (a repeat read), a ticket for another entrance, a
ticket used here twenty minutes ago (already used), a screenshot replayed after
its rotation period (stale), a refunded ticket, the old phone of a transferred
ticket, a forged code, something that is not a ticket, and a dead phone whose
ticket number staff type in but which is not on this gate's list (CHECK).
Codes are signed for the moment each frame will be played, so make the video
just before playing it (`gatescan-demo gate` does both); a sidecar JSON next
to the video says which gate it was made for and when it starts.

    gatescan-demo video --server-data ISSUER_DIR --out demo.mp4
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

from gatescan.demo import synth
from gatescan.gate.camera.frames import Image, as_image
from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.verify.view import GateContext
from gatescan.protocol.token import parse_ticket_id

log = logging.getLogger(__name__)

DEMO_GATE = "VIP Gate"  # the one gate where a wrong-entrance ticket exists in the demo event
FPS = 15
SIZE = (960, 540)
PHONE_S = 2.6
GAP_S = 1.6
LEAD_S = 4.0
REPEAT_GAP_S = 4.0
USED_BEFORE_S = 20 * 60.0
UNLISTED_NUMBER = "0000-0000-00c0-ffee"  # a ticket number no demo event has
SIDE_SUFFIX = ".json"


class TokenSource(Protocol):
    """The phone simulator: the code a ticket's phone shows at a moment."""

    def token(self, ticket: str, at: float, *, old: bool = False) -> str:
        """The code of `ticket` (16 hex digits) at unix time `at`; `old`: pre-transfer phone."""
        ...


@dataclass(frozen=True, slots=True)
class Scene:
    """One phone held up: which ticket, what it shows, and the verdict to expect."""

    label: str
    ticket: str | None
    expect: str  # outcome code
    fixed_text: str | None = None  # a code that is not a ticket
    screenshot_age: float | None = None  # a screenshot taken this long before the start
    old: bool = False
    forged: bool = False
    gap_before: float | None = None  # seconds of empty picture before it (default GAP_S)
    typed: str | None = None  # a dead phone: staff type this ticket number (manual lookup)
    used_before: float | None = None  # the ticket was admitted here this long before


@dataclass(frozen=True, slots=True)
class Shown:
    """A scene placed on the video's timeline (seconds from the start)."""

    label: str
    expect: str
    start: float
    end: float
    typed: str | None = None


class WalletTokens:
    """Tokens straight from the issuer's simulated wallet file (fast; needs `gatescan.server`)."""

    def __init__(self, server_data: Path, period: int) -> None:
        from gatescan.demo.phones import Wallet
        from gatescan.server.settings import ServerSettings

        self.period = period
        self._wallet = Wallet(ServerSettings(data_dir=server_data).wallet_path)

    def token(self, ticket: str, at: float, *, old: bool = False) -> str:
        """The ticket's code at `at` from its (current or pre-transfer) phone."""
        ticket_id = parse_ticket_id(ticket)
        entry = self._wallet.previous(ticket_id) if old else self._wallet.current(ticket_id)
        if entry is None:
            raise LookupError(f"the simulated wallet holds no {'old ' if old else ''}"
                              f"credential for ticket {ticket}")
        return entry.token(at, self.period)

    def close(self) -> None:
        """Close the wallet file."""
        self._wallet.close()


def phone_simulator(server_data: Path, period: int) -> TokenSource:
    """The fastest available token source: the wallet file, else the `gatescan-demo` CLI."""
    try:
        return WalletTokens(server_data, period)
    except ImportError:
        return ServerTokens(server_data, period)


class ServerTokens:
    """Tokens from the issuer's simulated wallet (`gatescan-demo token`), cached per step."""

    def __init__(self, server_data: Path, period: int, *, binary: str | None = None) -> None:
        self.server_data = server_data
        self.period = period
        self.binary = binary or str(Path(sys.executable).with_name("gatescan-demo"))
        self._cache: dict[tuple[str, int, bool], str] = {}

    def token(self, ticket: str, at: float, *, old: bool = False) -> str:
        """The ticket's code at `at` (one `gatescan-demo token` call per rotation step)."""
        key = (ticket, int(at // self.period), old)
        if key not in self._cache:
            args = [self.binary, "--data", str(self.server_data), "token", ticket,
                    "--at", str(int(at))]
            if old:
                args.append("--old")
            out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=60)
            self._cache[key] = out.stdout.strip()
        return self._cache[key]


def demo_scenes(report: dict[str, Any]) -> list[Scene]:
    """The scenes for a `gatescan-demo event --json` report, at the VIP gate."""
    special = report["special"]
    types = report["ticket_types"]
    vips = [t for t, kind in types.items() if kind == "vip" and t not in special.values()]
    earlies = [t for t, kind in types.items()
               if kind == "early_bird" and t not in special.values()]
    if len(vips) < 3 or not earlies:
        raise ValueError("the demo event needs at least 4 VIP and 2 early-bird tickets")
    return [
        Scene("A VIP ticket", special["vip"], "admitted"),
        # Past the camera's 3 s debounce, well inside the event's repeat window.
        Scene("The same phone again a few seconds later", special["vip"], "repeat_read",
              gap_before=REPEAT_GAP_S),
        Scene("An early-bird ticket at the VIP gate", earlies[0], "wrong_gate"),
        Scene("A VIP ticket admitted here twenty minutes ago", vips[2], "already_used",
              used_before=USED_BEFORE_S),
        Scene("A screenshot taken two minutes ago", vips[0], "stale_code",
              screenshot_age=120.0),
        Scene("A refunded ticket", special["revoked"], "revoked"),
        Scene("The old phone of a transferred ticket", special["transferred"], "superseded",
              old=True),
        Scene("A forged code (one character changed)", vips[1], "bad_signature", forged=True),
        Scene("Something that is not a ticket", None, "malformed",
              fixed_text="https://example.org/coupon"),
        Scene("A dead phone: staff type a ticket number that is not on the list", None,
              "unknown_ticket_type", typed=UNLISTED_NUMBER),
        Scene("Another VIP ticket", vips[1], "admitted"),
    ]


def record_earlier(ledger: Ledger, scenes: Sequence[Scene], tokens: TokenSource,
                   start_at: float, gate: str = DEMO_GATE) -> None:
    """Admit, in the gate's ledger, the tickets the scenes say were used earlier, as a
    real scan at that time (so the demo's "already used" is a real one)."""
    context = GateContext(gate, "entry", "demo-gate")
    for scene in scenes:
        if scene.used_before is not None and scene.ticket is not None:
            at = start_at - scene.used_before
            ledger.redeem(tokens.token(scene.ticket, at), at, context, source="camera")


def _forge(text: str) -> str:
    chars = list(text)
    at = min(40, len(chars) - 1)
    chars[at] = "7" if chars[at] != "7" else "8"
    return "".join(chars)


def _text_at(scene: Scene, tokens: TokenSource, wall: float,
             start_at: float) -> str | None:
    if scene.typed is not None:
        return None  # a dead phone shows nothing
    if scene.fixed_text is not None:
        return scene.fixed_text
    assert scene.ticket is not None
    if scene.screenshot_age is not None:
        return tokens.token(scene.ticket, start_at - scene.screenshot_age)
    text = tokens.token(scene.ticket, wall, old=scene.old)
    return _forge(text) if scene.forged else text


class _Renderer:
    """Phone frames, cached per code text; a little hand shake per frame."""

    def __init__(self, size: tuple[int, int]) -> None:
        self.size = size
        self._cache: dict[str | None, Image] = {}
        self._empty = synth.scene(size[0], size[1], seed=3)

    def frame(self, text: str | None, n: int, seed: int) -> Image:
        if text is None:
            return self._empty
        if text not in self._cache:
            self._cache[text] = synth.phone_frame(text, self.size[0], self.size[1],
                                                  code_frac=0.62, seed=seed)
        image = self._cache[text]
        dx, dy = 6 * np.sin(n / 5.0), 4 * np.cos(n / 7.0)
        shift = np.array([[1, 0, dx], [0, 1, dy]], dtype=np.float32)
        return as_image(cv2.warpAffine(image, shift, self.size,
                                       borderMode=cv2.BORDER_REPLICATE))


def write_video(path: Path, scenes: Sequence[Scene], tokens: TokenSource, start_at: float, *,
                fps: int = FPS, size: tuple[int, int] = SIZE, phone_s: float = PHONE_S,
                gap_s: float = GAP_S) -> list[Shown]:
    """Write the scenes as a video file whose frame t shows the code of `start_at + t`."""
    fourcc = "mp4v" if path.suffix.lower() in (".mp4", ".m4v") else "MJPG"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), fps, size)
    if not writer.isOpened():
        raise OSError(f"OpenCV cannot write {path.name} ({fourcc})")
    renderer = _Renderer(size)
    timeline: list[Shown] = []
    n = 0
    try:
        for k, scene in enumerate(scenes):
            gap = gap_s if scene.gap_before is None else scene.gap_before
            for _ in range(int(gap * fps)):
                writer.write(renderer.frame(None, n, k))
                n += 1
            begin = n / fps
            for _ in range(int(phone_s * fps)):
                text = _text_at(scene, tokens, start_at + n / fps, start_at)
                writer.write(renderer.frame(text, n, k))
                n += 1
            timeline.append(Shown(scene.label, scene.expect, begin, n / fps, scene.typed))
        for _ in range(int(gap_s * fps)):
            writer.write(renderer.frame(None, n, 0))
            n += 1
    finally:
        writer.release()
    return timeline


def sidecar_path(video: Path) -> Path:
    """Where the description of a demo video is kept."""
    return video.with_name(video.name + SIDE_SUFFIX)


def make_demo_video(report: dict[str, Any], tokens: TokenSource, out: Path, *,
                    lead_s: float = LEAD_S, ledger: Path | None = None) -> dict[str, Any]:
    """Write the demo video and its sidecar; returns the sidecar's content. With `ledger`
    (the gate's), the admissions the scenes rely on are recorded there first."""
    start_at = time.time() + lead_s
    scenes = demo_scenes(report)
    if ledger is not None:
        with Ledger(ledger) as gate_ledger:
            record_earlier(gate_ledger, scenes, tokens, start_at)
    shown = write_video(out, scenes, tokens, start_at)
    info = {"gate": DEMO_GATE, "start_at": start_at, "manifest": report["manifest"],
            "event_name": report["event_name"], "scenes": [asdict(s) for s in shown]}
    sidecar_path(out).write_text(json.dumps(info, indent=1), encoding="utf-8")
    log.info("demo video %s: %d scenes, %.0f s", out.name, len(shown), shown[-1].end)
    return info


def read_sidecar(video: Path) -> dict[str, Any] | None:
    """The description written next to a demo video, or None."""
    try:
        data = json.loads(sidecar_path(video).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def server_report(server_data: Path, binary: str | None = None, *,
                  tickets: int | None = None) -> dict[str, Any]:
    """`gatescan-demo event --json` (creates the demo event once, then reuses it)."""
    exe = binary or str(Path(sys.executable).with_name("gatescan-demo"))
    extra = [] if tickets is None else ["--tickets", str(tickets)]
    out = subprocess.run([exe, "--data", str(server_data), "event", "--json", *extra],
                         capture_output=True, text=True, check=True, timeout=300)
    report: dict[str, Any] = json.loads(out.stdout)
    for ticket in report["special"].values():
        parse_ticket_id(ticket)  # fail early on a report this version cannot read
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: make a demo video from an issuer data directory."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server-data", type=Path, required=True,
                        help="the issuer's data directory (gatescan-server --data)")
    parser.add_argument("--out", type=Path, required=True, help="video file (.mp4 or .avi)")
    parser.add_argument("--lead", type=float, default=LEAD_S,
                        help="seconds until playback starts (default %(default)s)")
    args = parser.parse_args(argv)
    report = server_report(args.server_data)
    tokens = phone_simulator(args.server_data, int(report["rotation_period"]))
    info = make_demo_video(report, tokens, args.out, lead_s=args.lead)
    print(json.dumps({"video": str(args.out), "gate": info["gate"],
                      "manifest": info["manifest"], "start_at": info["start_at"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
