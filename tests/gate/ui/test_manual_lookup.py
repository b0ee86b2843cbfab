"""The dead-phone path: lookup by number, order code or name; errors stay in the panel."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.ui.display import Tone
from gatescan.gate.ui.manual_lookup import wallet_form
from gatescan.gate.ui.ui_settings import UiSettings
from gatescan.protocol.manifest import ManifestWriter
from tests.factories import T0, Issuer, demo_policy
from tests.gate.ui.conftest import GATE, PIN, AppMaker
from tests.gate.ui.test_gate_app import manual_scans, scan, shown

pytestmark = pytest.mark.timeout(60)

PEOPLE = [(0x1001, 1, "Anna Müller", "ORD-77"), (0x1002, 1, "Jonas Müller", "ORD-78"),
          (0x1003, 1, None, None)]


@pytest.fixture
def named_data(tmp_path: Path) -> Path:
    """A gate whose event opted in to attendee names and order codes."""
    issuer = Issuer(policy=replace(demo_policy(), attendee_data=True))
    out = io.BytesIO()
    w = ManifestWriter(out, issuer.policy, [issuer.public], issuer.key, sequence=1,
                       generated_at=T0)
    for tid, type_id, name, order in PEOPLE:
        w.ticket(tid, type_id, 0, None, name=name, order_code=order)
    w.finish()
    data = tmp_path / "named"
    data.mkdir()
    with Ledger(data / "ledger.db") as ledger:
        ledger.import_manifest(io.BytesIO(out.getvalue()))
    ui = UiSettings.load(data)
    ui.gate, ui.language = GATE, "en"
    ui.set_pin(PIN)
    ui.save()
    return data


def test_several_names_are_a_list_and_the_photo_id_hint_names_the_person(
        qtbot: QtBot, make_app: AppMaker, named_data: Path) -> None:
    app = make_app(named_data)
    gate = app.window.gate
    panel = gate.lookup
    gate.open_lookup()
    assert "the order code, or the name" in panel.hint.text()
    panel.field.setText("müller")
    panel._submit()
    qtbot.waitUntil(panel.results.isVisible, timeout=5_000)
    rows = [panel.results.item(i).text() for i in range(panel.results.count())]
    assert len(rows) == 2 and rows[0].startswith("Anna Müller") and "order ORD-78" in rows[1]
    assert wallet_form(0x1002) in rows[1] and gate.is_ready()  # nothing on the screen yet
    assert panel.photo_id.text() == "Check photo ID: Anna Müller"
    panel.results.setCurrentRow(1)
    assert panel.photo_id.text() == "Check photo ID: Jonas Müller"
    admitted = shown(qtbot, app, panel._submit)
    assert admitted.tone is Tone.ADMIT and admitted.source == "manual"
    assert [r["ticket_id"] for r in manual_scans(named_data)] == [0x1002]


def test_order_code_finds_the_ticket_and_a_nameless_one_has_no_photo_id_hint(
        qtbot: QtBot, make_app: AppMaker, named_data: Path) -> None:
    app = make_app(named_data)
    gate = app.window.gate
    panel = gate.lookup
    gate.open_lookup()
    panel.field.setText("ord-77")
    panel._submit()
    qtbot.waitUntil(panel.results.isVisible, timeout=5_000)
    assert panel.results.count() == 1 and panel.photo_id.isVisible()
    panel.close_panel()
    # The exact number of a ticket without a name: checked at once, no ID to compare.
    gate.open_lookup()
    panel.field.setText(wallet_form(0x1003))
    display = shown(qtbot, app, panel._submit)
    assert display.tone is Tone.ADMIT and not panel.photo_id.isVisible()


def test_without_names_the_panel_asks_for_the_number_as_the_wallet_shows_it(
        qtbot: QtBot, make_app: AppMaker, data_dir: Path) -> None:
    app = make_app(data_dir)
    panel = app.window.gate.lookup
    app.window.gate.open_lookup()
    assert "as the ticket page shows it" in panel.hint.text()
    assert "photo ID" not in panel.hint.text()  # tickets carry no name to check
    assert panel.field.placeholderText() == "0123 4567 89ab cdef"
    panel.field.setText("Anna")
    panel._submit()
    qtbot.waitUntil(panel.error.isVisible, timeout=5_000)
    assert panel.error.text().startswith("Not a ticket number")


def test_a_manual_verdict_shows_no_stale_camera_picture(
        qtbot: QtBot, make_app: AppMaker, data_dir: Path, issuer: Issuer) -> None:
    app = make_app(data_dir)
    gate = app.window.gate
    camera = scan(qtbot, app, issuer.issue(0x1001).token(T0))
    assert camera.source == "camera"
    qtbot.waitUntil(lambda: gate.verdict.inset.frames_painted > 0, timeout=5_000)
    assert gate.verdict.inset.isVisibleTo(gate.verdict)
    gate.show_ready()
    gate.open_lookup()
    gate.lookup.field.setText("0000 0000 0000 1002")
    manual = shown(qtbot, app, gate.lookup._submit)
    assert manual.source == "manual"
    assert not gate.verdict.inset.isVisibleTo(gate.verdict)  # no picture of someone else
