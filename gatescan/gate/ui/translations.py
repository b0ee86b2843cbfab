"""Choosing and installing the UI language: English (built in) or Simplified Chinese.

Every user-facing string goes through Qt's `tr()` / `QCoreApplication.translate`;
`pyside6-lupdate` collects them into `i18n/gatescan_zh_CN.ts` and
`pyside6-lrelease` compiles the `.qm` loaded here.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

log = logging.getLogger(__name__)

LANGUAGES = ("en", "zh_CN")
I18N_DIR = Path(__file__).with_name("i18n")


def choose_language(wanted: str | None, locale_name: str | None = None) -> str:
    """The language to use: `wanted` if given and shipped, else from the system locale."""
    if wanted in LANGUAGES:
        return wanted
    name = locale_name if locale_name is not None else QLocale.system().name()
    return "zh_CN" if name.lower().startswith("zh") else "en"


def qm_path(language: str) -> Path:
    """The compiled catalogue of a language."""
    return I18N_DIR / f"gatescan_{language}.qm"


def install(app: QCoreApplication, language: str) -> QTranslator | None:
    """Install the translator for `language` on `app`; None for English (the source strings).

    Keep the returned translator alive as long as the app: Qt does not own it.
    """
    if language == "en":
        return None
    translator = QTranslator(app)
    path = qm_path(language)
    if not translator.load(str(path)):
        log.error("translation %s missing or unreadable: showing English", path.name)
        return None
    app.installTranslator(translator)
    # Qt's own dialogs (file dialogs, standard buttons) need Qt's catalogue of the language;
    # a child of ours, so it lives and goes with it.
    qt_base = QTranslator(translator)
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if qt_base.load(f"qtbase_{language}", qt_dir):
        app.installTranslator(qt_base)
    else:
        log.warning("Qt's own %s catalogue not found in %s: its dialogs stay English",
                    language, qt_dir)
    return translator


def uninstall(app: QCoreApplication, translator: QTranslator | None) -> None:
    """Remove a translator installed by `install` (tests switch languages)."""
    if translator is not None:
        for qt_base in translator.findChildren(QTranslator):
            app.removeTranslator(qt_base)
        app.removeTranslator(translator)
