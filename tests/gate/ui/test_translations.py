"""Every user-facing string is in the Simplified Chinese catalogue, and the app shows it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from gatescan.gate.ui import reasons, translations
from gatescan.gate.ui.display import Tone
from gatescan.gate.ui.kinds import ScanSource
from gatescan.gate.ui.status_strip import StatusStrip
from gatescan.protocol.verdict import Because, Outcome, TicketFacts, Verdict
from tests.gate.ui.conftest import AppMaker

UI = Path(translations.__file__).parent
TS = UI / "i18n" / "gatescan_zh_CN.ts"
BIN = Path(sys.executable).parent
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def catalogue(path: Path) -> dict[tuple[str, str], ET.Element]:
    """(context, source) -> translation element of a .ts file."""
    found = {}
    for context in ET.parse(path).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            assert translation is not None
            found[(name, message.findtext("source") or "")] = translation
    return found


def test_catalogue_is_complete_and_placeholders_match() -> None:
    entries = catalogue(TS)
    assert len(entries) > 150
    for (context, source), translation in entries.items():
        assert translation.get("type") is None, f"unfinished: {context}: {source}"
        text = translation.text or ""
        assert text.strip(), f"empty: {context}: {source}"
        assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(source)), source


@pytest.mark.skipif(shutil.which("pyside6-lupdate", path=str(BIN)) is None,
                    reason="pyside6-lupdate is not installed")
def test_every_string_in_the_code_is_in_the_catalogue(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.ts"
    sources = sorted(str(p) for p in UI.glob("*.py"))
    subprocess.run([str(BIN / "pyside6-lupdate"), *sources, "-ts", str(fresh)],
                   check=True, capture_output=True, timeout=60)
    missing = set(catalogue(fresh)) - set(catalogue(TS))
    assert not missing, f"run pyside6-lupdate and translate: {sorted(missing)}"


@pytest.mark.skipif(shutil.which("pyside6-lrelease", path=str(BIN)) is None,
                    reason="pyside6-lrelease is not installed")
def test_compiled_catalogue_is_up_to_date(tmp_path: Path) -> None:
    qm = tmp_path / "check.qm"
    subprocess.run([str(BIN / "pyside6-lrelease"), str(TS), "-qm", str(qm)],
                   check=True, capture_output=True, timeout=60)
    assert qm.read_bytes() == translations.qm_path("zh_CN").read_bytes(), \
        "run pyside6-lrelease on the .ts file"


def test_language_comes_from_the_setting_or_the_locale() -> None:
    assert translations.choose_language("zh_CN", "en_US") == "zh_CN"
    assert translations.choose_language(None, "zh_TW") == "zh_CN"
    assert translations.choose_language(None, "de_DE") == "en"
    assert translations.choose_language("fr", "en_GB") == "en"


def test_chinese_verdicts_and_status(qtbot: QtBot) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    translator = translations.install(app, "zh_CN")
    try:
        used = Verdict(Outcome.ALREADY_USED, "Already used at Gate 3 at 19:02",
                       TicketFacts(1, 0, 2, "VIP"), previous_time=3600.0 * 19 + 120,
                       previous_gate="Gate 3")
        display = reasons.describe_verdict(used)
        assert (display.word, display.title) == ("拒绝", "已使用")
        assert display.reason == "已于 19:02 在 Gate 3 使用"
        admit = reasons.describe_verdict(Verdict(Outcome.ADMITTED, "VIP",
                                                 TicketFacts(1, 0, 2, "VIP")))
        assert admit.tone is Tone.ADMIT and admit.word == "通过"
        manual = reasons.describe_verdict(Verdict(Outcome.ADMITTED, "Manual: VIP",
                                                  TicketFacts(0x2001, 0, 2, "VIP"),
                                                  because=Because(manual=True)),
                                          source=ScanSource.MANUAL)
        assert manual.reason == "凭票号入场（未出示手机）：VIP"
        # the same table as English staff read, in Chinese (tests/gate/ui/test_sentences.py)
        group = reasons.describe_verdict(Verdict(
            Outcome.ALREADY_USED, "All 3 already admitted (last here at 19:02)",
            TicketFacts(1, 0, 3, "Group"), previous_time=3600.0 * 19 + 120,
            previous_gate="Gate 1", previous_here=True, because=Because(max_entries=3)))
        assert group.reason == "3 人均已入场（最后一位于 19:02 在本入口）"
        assert manual.detail == "票号 0000000000002001"
        strip = StatusStrip()
        qtbot.addWidget(strip)
        strip.set_sync(None)
        assert strip.link.plain() == "无服务器：使用清单文件"
    finally:
        translations.uninstall(app, translator)
    assert reasons.level_word(Tone.ADMIT) == "ADMIT"


def test_qt_own_dialogs_speak_chinese_too(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QDialogButtonBox, QFileDialog

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    translator = translations.install(app, "zh_CN")
    try:
        dialog = QFileDialog(None, "x")
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
        qtbot.addWidget(dialog)
        box = dialog.findChild(QDialogButtonBox)
        assert box is not None
        cancel = box.button(QDialogButtonBox.StandardButton.Cancel)
        assert cancel is not None and cancel.text().replace("&", "") != "Cancel"
        assert any("\u4e00" <= ch <= "\u9fff" for ch in cancel.text())
    finally:
        translations.uninstall(app, translator)
    english = QFileDialog(None, "x")
    english.setOption(QFileDialog.Option.DontUseNativeDialog)
    qtbot.addWidget(english)
    box = english.findChild(QDialogButtonBox)
    assert box is not None
    button = box.button(QDialogButtonBox.StandardButton.Cancel)
    assert button is not None and button.text().replace("&", "") == "Cancel"


def test_a_stopped_chinese_app_leaves_no_chinese_behind(make_app: AppMaker,
                                                         data_dir: Path) -> None:
    app = make_app(data_dir, language="zh_CN")
    assert reasons.level_word(Tone.ADMIT) == "通过"
    assert app.stop()
    assert reasons.level_word(Tone.ADMIT) == "ADMIT"  # an English app made next reads English
