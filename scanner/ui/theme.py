"""Colours, fonts and the style sheet: a dark gate screen with bright, high-contrast verdicts."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QFont

from scanner.ui.display import Tone

BACKGROUND = "#0f1419"
SURFACE = "#1b232c"
SURFACE_HIGH = "#26313c"
TEXT = "#f4f6f8"
TEXT_DIM = "#9aa7b4"
ACCENT = "#4da3ff"
OK = "#3ecf6e"
WARN = "#ffb020"
BAD = "#ff5a4f"
FONT_FAMILIES = ["Noto Sans", "DejaVu Sans", "Noto Sans CJK SC", "Droid Sans Fallback",
                 "WenQuanYi Zen Hei", "sans-serif"]


@dataclass(frozen=True, slots=True)
class ToneStyle:
    """How one verdict tone looks: background, foreground (contrast >= 4.5:1)."""

    background: str
    foreground: str


TONES = {
    Tone.ADMIT: ToneStyle("#137a35", "#ffffff"),
    Tone.REFUSE: ToneStyle("#b3201a", "#ffffff"),
    Tone.CHECK: ToneStyle("#f5b301", "#111111"),
    Tone.REPEAT: ToneStyle("#1d4f91", "#ffffff"),  # calm blue: not green, not red
    Tone.ERROR: ToneStyle("#3a0a0a", "#ffd7d4"),
}


def font(pixel_size: int, *, bold: bool = False) -> QFont:
    """The UI font at a pixel size (pixels, so sizes follow the screen, not its DPI)."""
    f = QFont()
    f.setFamilies(FONT_FAMILIES)
    f.setPixelSize(max(8, pixel_size))
    f.setBold(bold)
    return f


def color(name: str) -> QColor:
    """A QColor from a theme colour string."""
    return QColor(name)


STYLE_SHEET = f"""
QWidget {{ background: {BACKGROUND}; color: {TEXT}; }}
QPushButton {{
    background: {SURFACE_HIGH}; color: {TEXT}; border: 1px solid #3a4756;
    border-radius: 8px; padding: 10px 18px; font-size: 18px;
}}
QPushButton:hover {{ background: #32404e; }}
QPushButton:pressed {{ background: #1d2731; }}
QPushButton:disabled {{ color: #5d6a77; }}
QPushButton[primary="true"] {{ background: #1f6fd1; border-color: #1f6fd1; }}
QLineEdit, QComboBox, QPlainTextEdit {{
    background: {SURFACE}; color: {TEXT}; border: 1px solid #3a4756; border-radius: 6px;
    padding: 8px; font-size: 18px;
}}
QLabel[role="heading"] {{ font-size: 26px; font-weight: bold; }}
QLabel[role="dim"] {{ color: {TEXT_DIM}; font-size: 16px; }}
QFrame[role="card"] {{ background: {SURFACE}; border-radius: 10px; }}
QFrame[role="card"] QLabel {{ background: transparent; }}
QTableWidget {{
    background: {SURFACE}; gridline-color: #2c3742; border: none; font-size: 15px;
}}
QHeaderView::section {{
    background: {SURFACE_HIGH}; color: {TEXT_DIM}; border: none; padding: 6px; font-size: 14px;
}}
QRadioButton, QCheckBox {{ font-size: 18px; }}
"""
