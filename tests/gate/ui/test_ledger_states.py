"""The gate app when its ledger file is deleted under it or damaged: NOT RECORDED, what to do."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.ui.app import GateApp
from gatescan.gate.ui.display import Tone
from tests.factories import Issuer
from tests.gate.ui.conftest import AppMaker, FakeClock
from tests.gate.ui.test_gate_app import scan

pytestmark = pytest.mark.timeout(60)


def test_a_ledger_deleted_under_the_running_app_is_not_recorded(
        qtbot: QtBot, make_app: AppMaker, data_dir: Path, issuer: Issuer,
        clock: FakeClock) -> None:
    app: GateApp = make_app(data_dir)
    first = scan(qtbot, app, issuer.issue(0x9100).token(clock.now))
    assert first.tone is Tone.ADMIT
    (data_dir / "ledger.db").unlink()
    for n in range(2):
        display = scan(qtbot, app, issuer.issue(0x9101 + n).token(clock.now))
        assert display.tone is Tone.ERROR and display.word == "NOT RECORDED"
        assert "deleted or replaced" in display.reason and "restart" in display.reason
        assert "NOT being recorded" in app.window.gate.message.text()


def test_a_damaged_ledger_at_start_says_how_to_recover(
        qtbot: QtBot, make_app: AppMaker, data_dir: Path) -> None:
    path = data_dir / "ledger.db"
    with Ledger(path):
        pass
    path.write_bytes(b"\x00" * 100 + path.read_bytes()[100:4096] + b"\xff" * 8192)
    app: GateApp = make_app(data_dir, wait_ready=False)
    view = app.window.gate.verdict
    qtbot.waitUntil(lambda: "gatescan recover" in view.reason.text(), timeout=10_000)
    assert view.word.text() == "NOT RECORDED"
