"""The gate app end to end: real widgets offscreen, real ledger, real decoder, real tokens."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from gatescan.demo import synth
from gatescan.gate.camera.file_source import MemorySource
from gatescan.gate.camera.frames import FrameSource
from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.ui.app import GateApp
from gatescan.gate.ui.display import Tone, VerdictDisplay
from gatescan.gate.ui.kinds import ScanSource
from tests.factories import T0, Issuer
from tests.gate.ledger.util import all_rows
from tests.gate.ui.conftest import AppMaker, FakeClock, SoundLog

pytestmark = pytest.mark.timeout(60)


def shown(qtbot: QtBot, app: GateApp, action: object = None) -> VerdictDisplay:
    """Wait for the next verdict on screen; returns it."""
    with qtbot.waitSignal(app.verdict_displayed, timeout=10_000) as blocker:
        if callable(action):
            action()
    display = blocker.args[0]
    assert isinstance(display, VerdictDisplay)
    return display


def scan(qtbot: QtBot, app: GateApp, text: str) -> VerdictDisplay:
    """A code decoded by the camera (the pipeline's signal, as the camera worker emits it)."""
    return shown(qtbot, app, lambda: app.camera.code_decoded.emit(text, 0.0))


def settled(qtbot: QtBot, app: GateApp) -> None:
    """Wait until the verdict just shown is painted and the counters followed it."""
    qtbot.waitUntil(lambda: not app.settling(), timeout=5_000)


def test_camera_scan_turns_the_screen_green_with_the_type(
        qtbot: QtBot, make_app: AppMaker, data_dir: Path, issuer: Issuer) -> None:
    token = issuer.issue(0x2001, type_id=2).token(T0)
    phone = synth.phone_frame(token, 640, 480, code_frac=0.6)
    empty = synth.scene(640, 480)

    def camera(_spec: str) -> FrameSource:
        return MemorySource([empty] * 3 + [phone] * 6 + [empty] * 200, fps=20.0)

    app = make_app(data_dir, source=camera, wait_ready=False)
    display = shown(qtbot, app)
    settled(qtbot, app)
    assert display.tone is Tone.ADMIT and display.word == "ADMIT"
    view = app.window.gate.verdict
    assert app.window.gate.pages.currentWidget() is view and view.isVisible()
    assert view.word.text() == "ADMIT"
    assert view.title.text() == "VIP"  # the ticket type, in big letters
    assert "Row A seat 7" in view.detail.text()
    assert app.window.gate.strip.admitted.plain() == "Admitted 1"
    assert isinstance(app.sound, SoundLog) and app.sound.played == [Tone.ADMIT]


def test_the_same_ticket_again_shows_already_used(
        qtbot: QtBot, make_app: AppMaker, data_dir: Path, issuer: Issuer,
        clock: FakeClock) -> None:
    app = make_app(data_dir)
    phone = issuer.issue(0x1001)
    assert scan(qtbot, app, phone.token(clock.now)).tone is Tone.ADMIT
    clock.advance(95)  # a friend passes the phone back over the fence
    again = scan(qtbot, app, phone.token(clock.now))
    assert again.tone is Tone.REFUSE
    assert again.word == "REFUSED" and again.title == "Already used"
    assert "Already used here at" in again.reason
    view = app.window.gate.verdict
    assert view.title.text() == "Already used" and view.icon.tone() is Tone.REFUSE
    assert isinstance(app.sound, SoundLog) and app.sound.played == [Tone.ADMIT, Tone.REFUSE]


def test_a_re_scan_seconds_later_is_the_blue_repeat_screen_not_red(
        qtbot: QtBot, make_app: AppMaker, data_dir: Path, issuer: Issuer,
        clock: FakeClock) -> None:
    """Defect: 4-8 s after ADMIT the same person got a full-screen red "Already used"."""
    app = make_app(data_dir)
    phone = issuer.issue(0x1001)
    assert scan(qtbot, app, phone.token(clock.now)).tone is Tone.ADMIT
    clock.advance(8)
    again = scan(qtbot, app, phone.token(clock.now))
    settled(qtbot, app)
    assert again.tone is Tone.REPEAT and again.word == "ALREADY ADMITTED HERE"
    assert again.title == "8 s ago"
    view = app.window.gate.verdict
    assert view.icon.tone() is Tone.REPEAT and view.word.text() == "ALREADY ADMITTED HERE"
    assert app.window.gate.strip.admitted.plain() == "Admitted 1"  # not counted again
    assert isinstance(app.sound, SoundLog) and app.sound.played == [Tone.ADMIT, Tone.REPEAT]
    with Ledger(data_dir / "ledger.db") as ledger:
        outcomes = [(r["outcome"], r["admit"]) for r in all_rows(ledger.conn, "scans")]
    assert outcomes == [("admitted", 1), ("repeat_read", 0)]


def test_a_forged_code_shows_nothing_read_from_it(
        qtbot: QtBot, make_app: AppMaker, data_dir: Path, issuer: Issuer,
        clock: FakeClock) -> None:
    """Defect: a code whose signatures fail showed details read from it ("Row A seat 7")."""
    from gatescan.protocol.token import decode_text, encode_text
    raw = bytearray(decode_text(issuer.issue(0x2001, type_id=2).token(clock.now)))
    raw[-1] ^= 0x01  # the phone signature
    shown_ = scan(qtbot, app := make_app(data_dir), encode_text(bytes(raw)))
    assert shown_.tone is Tone.REFUSE and shown_.title == "Forged or altered code"
    view = app.window.gate.verdict
    assert "Row A seat 7" not in view.detail.text() and "VIP" not in view.detail.text()
    assert "VIP" not in view.title.text()
    with Ledger(data_dir / "ledger.db") as ledger:
        [row] = (all_rows(ledger.conn, "scans"))
    assert (row["outcome"], row["ticket_id"], row["serial"]) == ("bad_signature", None, None)


def test_verdict_returns_to_ready(qtbot: QtBot, make_app: AppMaker, data_dir: Path,
                                  issuer: Issuer, clock: FakeClock) -> None:
    app = make_app(data_dir)
    app.window.gate._hold_ms[Tone.ADMIT] = 200
    scan(qtbot, app, issuer.issue(0x1002).token(clock.now))
    assert not app.window.gate.is_ready()
    with qtbot.waitSignal(app.window.gate.ready_shown, timeout=3000):
        pass
    assert app.window.gate.is_ready()


def test_keyboard_wedge_without_a_focused_field(
        qtbot: QtBot, make_app: AppMaker, data_dir: Path, issuer: Issuer,
        clock: FakeClock) -> None:
    app = make_app(data_dir)
    gate = app.window.gate
    # A scanner that ends with Enter.
    display = shown(qtbot, app, lambda: (qtbot.keyClicks(gate, issuer.issue(0x1001).token(
        clock.now)), qtbot.keyClick(gate, Qt.Key.Key_Return)))
    assert display.tone is Tone.ADMIT and display.source is ScanSource.WEDGE
    assert gate.verdict.source.text() == "Handheld scanner"
    # A scanner configured to send no Enter: the idle gap ends the scan.
    display = shown(qtbot, app, lambda: qtbot.keyClicks(gate, issuer.issue(0x1002).token(
        clock.now)))
    assert display.tone is Tone.ADMIT
    with Ledger(data_dir / "ledger.db") as ledger:
        sources = [r["source"] for r in all_rows(ledger.conn, "scans")]
    assert sources == ["wedge", "wedge"]


def test_a_person_typing_is_not_a_scan(qtbot: QtBot, make_app: AppMaker,
                                       data_dir: Path) -> None:
    app = make_app(data_dir)
    with qtbot.assertNotEmitted(app.redeem_requested, wait=400):
        qtbot.keyClicks(app.window.gate, "abc")
        qtbot.keyClick(app.window.gate, Qt.Key.Key_Return)


def manual_scans(data_dir: Path) -> list[sqlite3.Row]:
    """The gate's manual scans, as another process reads them."""
    conn = sqlite3.connect(data_dir / "ledger.db")
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute("SELECT * FROM scans WHERE source = 'manual' ORDER BY seq").fetchall()
    finally:
        conn.close()


def test_manual_lookup_of_a_dead_phone_records_a_manual_admission(
        qtbot: QtBot, make_app: AppMaker, data_dir: Path, issuer: Issuer,
        clock: FakeClock) -> None:
    app = make_app(data_dir)
    gate = app.window.gate
    gate.lookup_button.click()
    assert gate.lookup.isVisible()
    gate.lookup.field.setText("0000-0000-0000-2001")
    found = shown(qtbot, app, lambda: qtbot.keyClick(gate.lookup.field, Qt.Key.Key_Return))
    settled(qtbot, app)
    assert found.tone is Tone.ADMIT and found.word == "ADMIT" and found.source == "manual"
    assert found.title == "VIP" and "Row A seat 7" in found.detail
    assert "Ticket 0000000000002001" in found.detail and found.reason == "Manual: VIP"
    assert gate.verdict.source.text() == "Manual lookup"
    assert not gate.lookup.isVisible()
    assert app.window.gate.strip.admitted.plain() == "Admitted 1"
    assert app.window.gate.strip.uploads.plain() == "1 to upload"
    # Recorded durably as manual, in the hash chain; typing never reached the keyboard wedge.
    [row] = manual_scans(data_dir)
    assert (row["ticket_id"], row["outcome"], row["admit"], row["gate"]) == (
        0x2001, "admitted", 1, "Gate 1")
    assert row["device_time"] == clock.now
    with Ledger(data_dir / "ledger.db") as ledger:
        assert ledger.status().scans == 1 and ledger.verify_chain().ok
    # The phone turns up after all: the code is now already used.
    clock.advance(90)
    again = scan(qtbot, app, issuer.issue(0x2001, type_id=2).token(clock.now))
    assert again.tone is Tone.REFUSE and again.title == "Already used"
    # A ticket already used is refused, with where and when, and the refusal is logged.
    scan(qtbot, app, issuer.issue(0x1001).token(clock.now))
    clock.advance(90)
    gate.open_lookup()
    gate.lookup.field.setText("1001")
    used = shown(qtbot, app, gate.lookup._submit)
    assert used.tone is Tone.REFUSE and used.title == "Already used"
    assert "Already used here at" in used.reason
    gate.open_lookup()
    gate.lookup.field.setText("4001")
    assert shown(qtbot, app, gate.lookup._submit).title == "Ticket cancelled"
    # A typo or an unknown number: an error in the panel, nothing on the gate screen.
    qtbot.waitUntil(gate.is_ready, timeout=15_000)
    for typed, error in (("beef", "Ticket 0000 0000 0000 beef is not on this gate's list"),
                         ("not a number", "Not a ticket number")):
        gate.open_lookup()
        gate.lookup.field.setText(typed)
        with qtbot.assertNotEmitted(app.verdict_displayed, wait=300):
            gate.lookup._submit()
            qtbot.waitUntil(gate.lookup.error.isVisible, timeout=5_000)
        assert gate.lookup.error.text().startswith(error) and gate.lookup.isVisible()
        assert gate.is_ready()
        gate.lookup.close_panel()
    assert [r["outcome"] for r in manual_scans(data_dir)] == [
        "admitted", "already_used", "revoked"]  # nothing for a number not found


def test_a_scan_the_ledger_cannot_record_never_shows_green(
        qtbot: QtBot, make_app: AppMaker, data_dir: Path, issuer: Issuer,
        clock: FakeClock) -> None:
    def full_disk_ledger() -> Ledger:
        """The real ledger on a 'disk' that fills up (SQLite max_page_count)."""
        ledger = Ledger(data_dir / "ledger.db")
        ledger.conn.execute("CREATE TABLE IF NOT EXISTS filler (x BLOB)")
        pages = ledger.conn.execute("PRAGMA page_count").fetchone()[0]
        ledger.conn.execute(f"PRAGMA max_page_count = {pages + 2}")
        try:
            while True:
                ledger.conn.execute("INSERT INTO filler VALUES (randomblob(600))")
        except sqlite3.OperationalError:
            pass  # full: every page is used
        return ledger

    app = make_app(data_dir, ledger_factory=full_disk_ledger)
    greens, failures = 0, 0
    for n in range(60):  # the last free bytes of the scan table's pages run out quickly
        display = scan(qtbot, app, issuer.issue(0x9000 + n).token(clock.now))
        if display.tone is Tone.ERROR:
            failures += 1
            assert display.word == "NOT RECORDED" and "disk is full" in display.reason
            assert app.window.gate.verdict.icon.tone() is Tone.ERROR
            assert "NOT being recorded" in app.window.gate.message.text()
        else:
            assert display.tone is Tone.ADMIT
            greens += 1
        if failures >= 3:
            break
    assert failures >= 3, "the ledger never filled up"
    with Ledger(data_dir / "ledger.db") as ledger:
        assert ledger.status().admitted == greens  # every green is on disk, no more
    assert isinstance(app.sound, SoundLog)
    assert app.sound.played.count(Tone.ADMIT) == greens
    assert app.sound.played.count(Tone.ERROR) == failures


def test_an_unknown_code_is_refused(qtbot: QtBot, make_app: AppMaker, data_dir: Path) -> None:
    app = make_app(data_dir)
    display = scan(qtbot, app, "https://example.org/coupon")
    assert display.tone is Tone.REFUSE and display.title == "Not a ticket code"
