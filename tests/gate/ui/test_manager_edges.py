"""Manager view rough edges (issue 16): closing asks first; chart time labels never collide."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from gatescan.gate.ledger.reports import Bucket
from gatescan.gate.ui.chart import ScanChart
from tests.gate.ui.conftest import AppMaker

pytestmark = pytest.mark.timeout(60)


def _question(app_window: object) -> QMessageBox | None:
    boxes = [b for b in app_window.findChildren(QMessageBox)  # type: ignore[attr-defined]
             if b.objectName() == "confirm_exit" and b.isVisible()]
    return boxes[0] if boxes else None


def test_exit_app_asks_first_and_cancel_keeps_the_gate_open(qtbot: QtBot, make_app: AppMaker,
                                                            data_dir: Path) -> None:
    app = make_app(data_dir)
    window = app.window
    window.show()
    window.show_manager()
    window.manager.quit_button.click()
    qtbot.waitUntil(lambda: _question(window) is not None, timeout=5000)
    assert window.isVisible()
    box = _question(window)
    assert box is not None
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: _question(window) is None, timeout=5000)
    assert window.isVisible()

    window.manager.quit_button.click()
    qtbot.waitUntil(lambda: _question(window) is not None, timeout=5000)
    box = _question(window)
    assert box is not None
    yes = box.findChild(QPushButton, "confirm_exit_yes")
    assert yes is not None and yes.text() == "Close GateScan"
    yes.click()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)


@pytest.mark.parametrize("width", [480, 760, 1200])
@pytest.mark.parametrize("first", [8 * 3600 + 50 * 60, 9 * 3600, 9 * 3600 + 25 * 60])
def test_chart_time_labels_never_overlap(qtbot: QtBot, width: int, first: int) -> None:
    chart = ScanChart()
    qtbot.addWidget(chart)
    chart.resize(width, 240)
    day = 1_790_000_000 - 1_790_000_000 % 86400
    chart.set_buckets([Bucket(day + first + 300 * n, n % 3, n % 2) for n in range(48)])
    labels = chart.time_labels()
    assert labels, "no time label at all"
    for (a, _), (b, _) in pairwise(labels):
        assert a.right() < b.left(), f"{labels}"
    assert all(r.right() <= width for r, _ in labels)
    chart.show()
    qtbot.waitExposed(chart)
    chart.grab()  # paints through the same layout without error
