"""Colours, fonts and the style sheet: a dark gate screen with bright, high-contrast verdicts."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QFont

from gatescan.gate.ui.display import Tone

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


DESIGN_HEIGHT = 800  # sizes in the code are for a 1280x800 window; others scale from it


def scale_for(height: int) -> float:
    """How much to scale the design sizes for a window `height` px tall (0.6 on the Pi's
    480 px panel, 1.35 on a 1080 px monitor)."""
    return max(0.6, min(1.35, height / DESIGN_HEIGHT))


def scaled(pixel_size: int, height: int, *, least: int = 12) -> int:
    """`pixel_size` (designed for 800 px of height) at a window `height` px tall."""
    return max(least, round(pixel_size * scale_for(height)))


SIZE_STEPS = 20  # the window's style sheet has one size per 5 % of scale, not one per pixel


def size_class(height: int) -> int:
    """The size class of a window `height` px tall: its scale in steps of 1/SIZE_STEPS (12 on
    the Pi's 480 px panel, 20 at the design's 800 px, 27 on a 1080 px monitor). The window
    restyles itself only when this changes, so dragging its edge restyles it a few times."""
    return round(scale_for(height) * SIZE_STEPS)


def sized_style(height: int) -> str:
    """The style sheet's text sizes for a window `height` px tall (the window sets it on
    itself, over STYLE_SHEET): buttons and fields grow on a big monitor, and stay at least
    48 px tall for a gloved finger on a small one. The same for every height of a size class."""
    scale = size_class(height) / SIZE_STEPS

    def px(size: int, least: int = 13) -> int:
        return max(least, round(size * scale))
    return f"""
QPushButton {{ font-size: {px(18, 15)}px; min-height: {max(34, px(34))}px; }}
QLineEdit, QComboBox, QPlainTextEdit {{
    font-size: {px(18, 15)}px; min-height: {max(30, px(30))}px; }}
QLabel[role="heading"] {{ font-size: {px(26, 18)}px; }}
QLabel[role="dim"] {{ font-size: {px(16)}px; }}
QTableWidget {{ font-size: {px(15)}px; }}
QHeaderView::section {{ font-size: {px(14, 12)}px; }}
QRadioButton, QCheckBox {{ font-size: {px(18, 15)}px; }}
"""


def color(name: str) -> QColor:
    """A QColor from a theme colour string."""
    return QColor(name)


STYLE_SHEET = f"""
QWidget {{ background: {BACKGROUND}; color: {TEXT}; }}
QPushButton {{
    background: {SURFACE_HIGH}; color: {TEXT}; border: 1px solid #3a4756;
    border-radius: 8px; padding: 6px 18px; font-size: 18px; min-height: 34px;
}}
QPushButton:hover {{ background: #32404e; }}
QPushButton:pressed {{ background: #1d2731; }}
QPushButton:disabled {{ color: #5d6a77; }}
QPushButton[primary="true"] {{ background: #1f6fd1; border-color: #1f6fd1; }}
QLineEdit, QComboBox, QPlainTextEdit {{
    background: {SURFACE}; color: {TEXT}; border: 1px solid #3a4756; border-radius: 6px;
    padding: 8px; font-size: 18px; min-height: 30px;
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
QScrollBar:vertical {{ background: {SURFACE}; width: 16px; border-radius: 8px; }}
QScrollBar::handle:vertical {{ background: #3a4756; min-height: 48px; border-radius: 8px; }}
QScrollBar::add-line:vertical, QScrollBar::sub-line:vertical {{ height: 0; }}
QRadioButton, QCheckBox {{ font-size: 18px; min-height: 48px; min-width: 48px; }}
QRadioButton::indicator, QCheckBox::indicator {{
    width: 22px; height: 22px; border: 2px solid {TEXT_DIM}; background: {SURFACE};
}}
QRadioButton::indicator {{ border-radius: 13px; }}
QCheckBox::indicator {{ border-radius: 5px; }}
QRadioButton::indicator:checked, QCheckBox::indicator:checked {{
    background: {ACCENT}; border-color: {ACCENT};
}}
QFrame[role="card"] QRadioButton, QFrame[role="card"] QCheckBox {{ background: transparent; }}
"""
