"""The demo video: real rotating codes that produce every kind of verdict at the VIP gate."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from gatescan.demo import video as demo_video
from gatescan.gate.camera.debounce import Debouncer
from gatescan.gate.camera.decoders import make_decoder
from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.verify.view import GateContext
from gatescan.protocol.token import format_ticket_id, parse_ticket_id
from tests.factories import T0, Issuer

VIP, VIP2, VIP3, VIP4, OTHER, OTHER2, REVOKED, MOVED = (0x21, 0x22, 0x23, 0x24, 0x81, 0x82,
                                                        0x91, 0x92)


class FactoryPhones:
    """The factories' issuer playing the wallet (transferred ticket: serial 1, old phone 0)."""

    def __init__(self, issuer: Issuer) -> None:
        self.issuer = issuer
        self.types = {VIP: 2, VIP2: 2, VIP3: 2, VIP4: 2, OTHER: 8, OTHER2: 8, REVOKED: 2,
                      MOVED: 2}

    def token(self, ticket: str, at: float, *, old: bool = False) -> str:
        ticket_id = parse_ticket_id(ticket)
        serial = 0 if old or ticket_id != MOVED else 1
        return self.issuer.issue(ticket_id, type_id=self.types[ticket_id],
                                 serial=serial).token(at)


@pytest.mark.timeout(120)
def test_demo_video_shows_every_verdict(tmp_path: Path) -> None:
    issuer = Issuer()
    phones = FactoryPhones(issuer)
    manifest = issuer.write_manifest(
        tmp_path / "event.gsm",
        [(t, ty, 1 if t == MOVED else 0, None) for t, ty in phones.types.items()],
        revocations=[(REVOKED, None, "refund")])
    hexes = {t: format_ticket_id(t) for t in phones.types}
    report = {
        "special": {"vip": hexes[VIP], "revoked": hexes[REVOKED], "transferred": hexes[MOVED]},
        "ticket_types": {hexes[VIP]: "vip", hexes[VIP2]: "vip", hexes[VIP3]: "vip",
                         hexes[VIP4]: "vip",
                         hexes[OTHER]: "early_bird", hexes[OTHER2]: "early_bird",
                         hexes[REVOKED]: "early_bird", hexes[MOVED]: "early_bird"},
        "manifest": str(manifest), "event_name": "Test Festival", "rotation_period": 30,
    }
    scenes = demo_video.demo_scenes(report)
    video = tmp_path / "demo.avi"
    fps = 5
    shown = demo_video.write_video(video, scenes, phones, T0, fps=fps, size=(640, 360),
                                   phone_s=1.0)
    assert len(shown) == len(scenes) and shown[-1].end < 60  # every verdict within a minute
    decoder, debounce = make_decoder("zxing"), Debouncer()
    capture = cv2.VideoCapture(str(video))
    outcomes = []
    typed = {round(s.start * fps): s.typed for s in shown if s.typed}
    with Ledger(tmp_path / "ledger.db") as ledger:
        ledger.import_manifest(manifest)
        demo_video.record_earlier(ledger, scenes, phones, T0)
        event_id = ledger.loaded_event_id()
        policy = ledger.event(event_id) if event_id is not None else None
        assert policy is not None
        window = policy.repeat_window("VIP Gate")
        gate = GateContext("VIP Gate", "entry", "demo")
        n = 0
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            at = n / fps
            if n in typed:  # staff type the dead phone's number into the manual lookup
                number = parse_ticket_id(typed[n])
                outcomes.append(ledger.redeem_manual(number, T0 + at, gate)
                                .verdict.outcome.value)
            for code in decoder.decode(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)):
                if debounce.accept(code.text, at):
                    result = ledger.redeem(code.text, T0 + at, gate, source="camera")
                    outcomes.append(result.verdict.outcome.value)
            n += 1
    capture.release()
    expected = [s.expect for s in scenes]
    again = shown[1].start - shown[0].start  # the same phone, this much later
    if again > window:  # a build whose repeat window is shorter than the scene's gap
        expected[1] = "already_used"
    assert outcomes == expected
    assert {"admitted", "already_used", "unknown_ticket_type", "bad_signature",
            "malformed"} <= set(outcomes)
    assert window < again or "repeat_read" in outcomes
