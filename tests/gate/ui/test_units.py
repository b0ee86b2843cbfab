"""The small pieces: verdict words, handshake parsing, PIN storage, sounds, wedge timing."""

from __future__ import annotations

import contextlib
import json
import time
import wave
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from gatescan.gate.sync.handshake import HandshakeError, HandshakeProblem, parse_handshake
from gatescan.gate.ui import reasons
from gatescan.gate.ui.display import Tone
from gatescan.gate.ui.enrollment import problem_text
from gatescan.gate.ui.kinds import Direction, ScanSource, Screen
from gatescan.gate.ui.paths import usb_dir
from gatescan.gate.ui.sounds import ALERTS, MELODIES, SoundPlayer, write_sounds
from gatescan.gate.ui.ui_settings import UiSettings, hash_pin, pin_matches
from gatescan.gate.ui.wedge import KeyboardWedge
from gatescan.protocol.verdict import Because, Level, Outcome, TicketFacts, Verdict

HANDSHAKE = {"type": "gatescan-enroll", "v": 1, "url": "http://10.0.0.2:8080",
             "code": "ABCD-EFGH-JKLM"}


@pytest.mark.parametrize("outcome", list(Outcome))
def test_every_outcome_has_words_in_both_languages(outcome: Outcome) -> None:
    facts = TicketFacts(5, 0, 1, "General") if outcome.verified else None
    verdict = Verdict(outcome, "the verifier's reason", facts)
    english = reasons.describe_verdict(verdict)
    assert english.word in ("ADMIT", "REFUSED", "CHECK", "EXIT OK", "ALREADY ADMITTED HERE")
    assert english.title
    # the words come from the table, never from the verifier's English text
    assert "the verifier's reason" not in english.reason or outcome in (
        Outcome.OVERRIDE_ADMITTED, Outcome.ADMISSION_UNDONE)  # a supervisor's own note
    assert (english.tone is Tone.ADMIT) == outcome.admits
    assert (english.tone is Tone.REPEAT) == (outcome is Outcome.REPEAT_READ)


def test_a_repeat_read_has_its_own_blue_panel() -> None:
    from gatescan.gate.ui import theme
    verdict = Verdict(Outcome.REPEAT_READ, "Already admitted here 8 s ago",
                      TicketFacts(5, 0, 1, "General", seat="B12"), previous_gate="Gate 1",
                      previous_time=100.0, previous_here=True, since_previous=8.4,
                      previous_direction="entry")
    shown = reasons.describe_verdict(verdict)
    assert (shown.tone, shown.word, shown.title) == (Tone.REPEAT, "ALREADY ADMITTED HERE",
                                                     "8 s ago")
    assert shown.detail == "General  ·  B12" and "not counted again" in shown.reason
    style = theme.TONES[Tone.REPEAT]
    assert style.background not in (theme.TONES[Tone.ADMIT].background,
                                    theme.TONES[Tone.REFUSE].background)
    assert Tone.REPEAT in MELODIES and len(MELODIES[Tone.REPEAT]) == 1  # a quiet tick
    out = Verdict(Outcome.REPEAT_READ, "Already scanned out here 200 s ago", None,
                  since_previous=200.0, previous_direction="exit")
    shown = reasons.describe_verdict(out)
    assert (shown.word, shown.title) == ("ALREADY SCANNED OUT HERE", "3 min ago")


def test_unverified_verdicts_carry_no_ticket_facts() -> None:
    for outcome in (Outcome.BAD_SIGNATURE, Outcome.UNKNOWN_KEY, Outcome.WRONG_EVENT,
                    Outcome.MALFORMED):
        with pytest.raises(ValueError):
            Verdict(outcome, "x", TicketFacts(3, 0, 2, "VIP", seat="row 1 seat 3"))
        shown = reasons.describe_verdict(Verdict(outcome, "Forged"))
        assert shown.detail == "" and shown.tone is Tone.REFUSE
    assert reasons.outcome_label(outcome.value)


def test_clock_unset_is_amber_and_admit_shows_the_type_big() -> None:
    unset = Verdict(Outcome.CLOCK_UNSET, "Gate clock is not set", level=Level.CHECK)
    assert reasons.describe_verdict(unset).tone is Tone.CHECK
    admit = reasons.describe_verdict(Verdict(Outcome.ADMITTED, "Group of 4: person 2 of 4",
                                             TicketFacts(1, 0, 3, "Group of 4", seat="B12"),
                                             because=Because(entry=2, max_entries=4)))
    assert (admit.title, admit.detail) == ("Group of 4", "B12")
    assert admit.reason == "Group of 4: person 2 of 4"


def test_failures_are_never_green() -> None:
    for code in ("disk_full", "locked", "read_only", "io_error", "corrupt", "internal"):
        display = reasons.describe_failure(code, "raw message")
        assert display.tone is Tone.ERROR and display.word == "NOT RECORDED"


def test_handshake_parsing() -> None:
    parsed = parse_handshake(json.dumps(HANDSHAKE))
    assert parsed.code == "ABCD-EFGH-JKLM" and parsed.url == "http://10.0.0.2:8080"
    assert "ABCD-EFGH-JKLM" not in repr(parsed)  # the one-time code never reaches a log
    for broken in ({**HANDSHAKE, "v": 2}, {**HANDSHAKE, "url": "ftp://x"},
                   {**HANDSHAKE, "code": ""}, {**HANDSHAKE, "type": "other"}, [1, 2]):
        with pytest.raises(HandshakeError):
            parse_handshake(json.dumps(broken))
    with pytest.raises(HandshakeError) as newer:
        parse_handshake(json.dumps({**HANDSHAKE, "v": 9}))
    assert "newer server" in problem_text(newer.value.problem)


def test_every_handshake_problem_has_the_operators_words() -> None:
    texts = {problem: problem_text(problem) for problem in HandshakeProblem}
    assert len(set(texts.values())) == len(HandshakeProblem)
    assert texts[HandshakeProblem.NOT_A_HANDSHAKE] == "Not an enrollment code"


@given(st.text(max_size=300) | st.builds(json.dumps, st.dictionaries(
    st.sampled_from(["type", "v", "url", "code", "x"]),
    st.none() | st.integers() | st.text(max_size=40))))
def test_handshake_parser_only_raises_its_own_error(text: str) -> None:
    with contextlib.suppress(HandshakeError):
        parse_handshake(text)


def test_the_uis_vocabularies_convert_at_their_boundaries() -> None:
    assert [Direction.of(v) for v in ("exit", "entry", "EXIT", None, 3)] == [
        Direction.EXIT, Direction.ENTRY, Direction.ENTRY, Direction.ENTRY, Direction.ENTRY]
    assert (Direction.EXIT.for_gate(), Direction.ENTRY.for_gate()) == ("exit", "entry")
    assert [s.value for s in ScanSource] == ["camera", "wedge", "manual"]
    assert Screen("manager") is Screen.MANAGER
    with pytest.raises(ValueError):
        Screen("managr")


def test_pin_is_stored_hashed_and_checked(tmp_path: Path) -> None:
    ui = UiSettings.load(tmp_path)
    assert not ui.pin_set and not ui.configured
    with pytest.raises(ValueError):
        ui.set_pin("12a4")
    ui.gate = "Gate 1"
    ui.set_pin("902114")
    ui.save()
    assert (tmp_path / "ui.json").stat().st_mode & 0o777 == 0o600
    assert "902114" not in (tmp_path / "ui.json").read_text()
    again = UiSettings.load(tmp_path)
    assert again.configured and again.check_pin("902114") and not again.check_pin("902115")
    assert not pin_matches("1", None) and not pin_matches("1", "garbage$x")
    assert hash_pin("1234", salt=b"s" * 16) == hash_pin("1234", salt=b"s" * 16)


def test_damaged_settings_file_means_set_up_again(tmp_path: Path) -> None:
    (tmp_path / "ui.json").write_text("{not json")
    assert not UiSettings.load(tmp_path).configured
    (tmp_path / "ui.json").write_text(json.dumps({"gate": 5, "direction": "sideways"}))
    loaded = UiSettings.load(tmp_path)
    assert loaded.gate is None and loaded.direction == "entry"


def test_sounds_are_distinct_wav_files(tmp_path: Path) -> None:
    paths = write_sounds(tmp_path)
    assert set(paths) == set(MELODIES) | set(ALERTS)  # the camera alarm is unlike any verdict
    contents = set()
    for path in paths.values():
        with wave.open(str(path)) as wav:
            assert wav.getframerate() == 22050 and wav.getnframes() > 2000
            contents.add(wav.readframes(wav.getnframes()))
    assert len(contents) == len(paths)


def test_sound_player_uses_the_system_player_without_waiting(tmp_path: Path) -> None:
    started: list[tuple[str, list[str]]] = []

    def launcher(program: str, args: list[str]) -> bool:
        started.append((program, args))
        return True

    player = SoundPlayer(tmp_path, launcher=launcher, try_qt=False,
                         which=lambda name: f"/usr/bin/{name}" if name == "aplay" else None)
    assert player.backend == "aplay"
    player.play(Tone.REFUSE)
    assert started == [("/usr/bin/aplay", ["-q", str(tmp_path / "refuse.wav")])]
    silent = SoundPlayer(tmp_path, try_qt=False, which=lambda _name: None)
    assert silent.backend == "none"
    silent.play(Tone.ADMIT)  # no player: nothing happens, nothing raises


def test_wedge_commits_bursts_and_ignores_text_fields(qtbot: QtBot) -> None:
    wedge = KeyboardWedge(idle_ms=60)
    target = QWidget()
    field = QLineEdit(target)
    qtbot.addWidget(target)
    target.show()
    from PySide6.QtWidgets import QApplication

    wedge.install(QApplication.instance())  # type: ignore[arg-type]
    try:
        got: list[str] = []
        wedge.text_scanned.connect(lambda text, _t: got.append(text))
        qtbot.keyClicks(target, "HC1:ABCDEFG")
        qtbot.keyClick(target, Qt.Key.Key_Tab)
        assert got == ["HC1:ABCDEFG"]
        qtbot.keyClicks(target, "NOENTER12345")
        qtbot.waitUntil(lambda: got == ["HC1:ABCDEFG", "NOENTER12345"], timeout=2000)
        field.setFocus()
        qtbot.keyClicks(field, "0123456789abcdef")
        qtbot.wait(150)
        assert field.text() == "0123456789abcdef" and len(got) == 2
        wedge.enabled = False
        target.setFocus()
        qtbot.keyClicks(target, "DISABLED-CODE")
        qtbot.wait(150)
        assert len(got) == 2
    finally:
        wedge.remove(QApplication.instance())  # type: ignore[arg-type]


def test_a_slow_typist_starts_a_new_burst(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    # min_length 4: the four keys would be a scan if the gaps did not split them
    wedge = KeyboardWedge(idle_ms=10_000, min_length=4)
    got: list[str] = []
    wedge.text_scanned.connect(lambda text, _t: got.append(text))
    clock = [100.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    target = QWidget()
    qtbot.addWidget(target)
    for char in "ABCD":
        clock[0] += 0.01  # a scanner: keys 10 ms apart
        assert wedge.eventFilter(target, _key(char))
    wedge.commit()
    assert got == ["ABCD"]
    for char in "WXYZ":
        clock[0] += 1.0  # a person: one key a second
        assert wedge.eventFilter(target, _key(char))
    wedge.commit()
    assert got == ["ABCD"]


def _key(char: str) -> object:
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QKeyEvent

    return QKeyEvent(QEvent.Type.KeyPress, ord(char), Qt.KeyboardModifier.NoModifier, char)


def test_usb_dir_prefers_a_mounted_stick(tmp_path: Path) -> None:
    assert usb_dir(tmp_path / "nothing") == Path.home()
    (tmp_path / "gatescan" / "usb").mkdir(parents=True)
    assert usb_dir(tmp_path) == tmp_path / "gatescan" / "usb"


def test_manual_lookup_decides_a_multi_day_pass_only_on_the_servers_time(
        qtbot: QtBot, tmp_path: Path) -> None:
    """Defect: with the gate clock a day ahead and "trusted", manual lookup admitted a 3-day
    pass already used that day. Until a sync on this boot gave the server's time, the gate
    worker asks a person (CHECK); a scanned code needs no such help (its time step checks)."""
    from gatescan.gate.ledger.ledger import Ledger
    from gatescan.gate.sync.clock import CLOCK_KEY, GateClock, TimeSample
    from gatescan.gate.ui.ledger_worker import LedgerWorker
    from gatescan.gate.verify.view import GateContext
    from tests.factories import T0, Issuer

    issuer = Issuer()
    path = tmp_path / "ledger.db"
    with Ledger(path) as ledger:
        ledger.import_manifest(issuer.write_manifest(tmp_path / "e.gsm", [(0x5005, 5, 0, None)]))
        ledger.redeem_manual(0x5005, T0, GateContext("Gate 2", device_id="other"))
    ahead = T0 + 86400 + 600  # this gate's own clock: a day ahead
    worker = LedgerWorker(lambda: Ledger(path), GateContext("Gate 1", device_id="g1"),
                          clock=lambda: ahead)
    worker.start()
    verdicts: list[Verdict] = []
    worker.scan_decided.connect(lambda result: verdicts.append(result.verdict))
    worker.redeem_manual("5005", 0.0)
    assert verdicts[-1].outcome is Outcome.CLOCK_UNSET and not verdicts[-1].admit
    assert verdicts[-1].level is Level.CHECK
    synced = GateClock(wall=lambda: ahead)  # the server says the time is really T0 + 900
    synced.learn(TimeSample(sent=synced.boot(), received=synced.boot(), server_time=T0 + 900))
    worker._ledger.set_sync_state(CLOCK_KEY, synced.dump())  # type: ignore[union-attr]
    worker.set_clock(T0 + 900 - ahead, True)
    worker.redeem_manual("5005", 0.0)
    assert verdicts[-1].outcome is Outcome.ALREADY_USED  # the same day, by the server's clock
    worker.shutdown()


def test_a_scanned_code_is_decided_without_reading_the_sync_state(
        qtbot: QtBot, tmp_path: Path) -> None:
    """A code's own time step confirms the clock, so on a scan's way to its verdict the
    worker does not read the ledger's sync state (issue 15: one read less per verdict);
    a multi-day pass scanned on an unconfirmed clock is still decided (admitted)."""
    from gatescan.gate.ledger.ledger import Ledger
    from gatescan.gate.ui.ledger_worker import LedgerWorker
    from gatescan.gate.verify.view import GateContext
    from tests.factories import T0, Issuer

    issuer = Issuer()
    path = tmp_path / "ledger.db"
    phone = issuer.issue(0x5005, type_id=5)
    with Ledger(path) as ledger:
        ledger.import_manifest(issuer.write_manifest(tmp_path / "e.gsm", [(0x5005, 5, 0, None)]))
    worker = LedgerWorker(lambda: Ledger(path), GateContext("Gate 1", device_id="g1"),
                          clock=lambda: T0)
    worker.start()
    verdicts: list[Verdict] = []
    worker.scan_decided.connect(lambda result: verdicts.append(result.verdict))
    statements: list[str] = []
    worker._ledger.conn.set_trace_callback(statements.append)  # type: ignore[union-attr]
    worker.redeem(phone.token(T0), ScanSource.CAMERA, 0.0)
    assert verdicts[-1].outcome is Outcome.ADMITTED
    assert statements and not [s for s in statements if "sync_state" in s]
    worker.redeem_manual("5005", 0.0)  # a typed number still asks whether the time is known
    assert [s for s in statements if "sync_state" in s]
    worker.shutdown()
