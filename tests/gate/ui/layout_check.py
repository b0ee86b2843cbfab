"""Layout checks for a real window: elided or cut text, overlapping widgets, small buttons.

Used by the screen-size tests; each check returns readable problems ('' none) so one
failing run lists everything that is wrong at a size, not only the first thing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QFontMetrics, QTextDocument
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractScrollArea,
    QComboBox,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QWidget,
)

# A gloved fingertip needs about 9 mm. The displays a gate has: the Pi 7" panel at 800x480
# (~133 px per inch, 9 mm = 47 px), 10" 1024x600 (~120 ppi, 43 px), 1280x800 10.1" (~150 ppi,
# 53 px) and a 21.5" 1920x1080 monitor (~102 ppi, 37 px). 48 px covers all but the 10.1" panel,
# where 48 px is 8 mm: close enough for a hand that does not have to aim.
MIN_TOUCH_PX = 48
# Where a line may break: at spaces, and between any two Chinese characters.
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_WORDS = re.compile(f"[{_CJK}]|[^\\s{_CJK}]+")


def _visible(widget: QWidget, window: QWidget) -> bool:
    return widget.isVisible() and widget.isVisibleTo(window) and widget.width() > 0 and \
        not _covered(widget)


def _covered(widget: QWidget) -> bool:
    """A page of a stack other than its current one: shown (a stack that keeps every page
    shown, as the gate screen does), but under the current page, not on screen."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QStackedWidget) and parent.currentWidget() is not widget:
            return True
        widget, parent = parent, parent.parentWidget()
    return False


def _internal(widget: QWidget) -> bool:
    """Qt's own sub-widgets (scroll bars, viewports, a combo's pop-up, a table's cells): not
    ours to lay out. What a scroll area shows is ours, and is checked."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractItemView | QComboBox | QLineEdit):
            return True
        parent = parent.parentWidget()
    return widget.objectName().startswith("qt_") and not isinstance(widget, QLabel)


def _scrolls(parent: QWidget) -> bool:
    """A scroll area's viewport: what it holds may be taller than it, on purpose."""
    return isinstance(parent.parentWidget(), QAbstractScrollArea) and \
        parent.objectName() == "qt_scrollarea_viewport"


def _widgets(window: QWidget) -> Iterator[QWidget]:
    for widget in window.findChildren(QWidget):
        if _visible(widget, window) and not _internal(widget):
            yield widget


def _name(widget: QWidget) -> str:
    text = widget.text() if isinstance(widget, QLabel | QAbstractButton) else ""
    plain = _plain(text) if isinstance(widget, QLabel) else text
    return f"{type(widget).__name__}#{widget.objectName() or '?'} {plain[:40]!r}"


def _plain(text: str) -> str:
    if "<" not in text:
        return text
    doc = QTextDocument()
    doc.setHtml(text)
    return doc.toPlainText().replace("\u2029", "\n")


def label_problem(label: QLabel) -> str:
    """Why `label`'s text does not fit its contents rectangle ('' when it fits)."""
    text = _plain(label.text())
    if not text.strip():
        return ""
    full = label.property("full_text")
    if isinstance(full, str) and full and full != text:
        return f"{_name(label)} shows an elided text"
    rect = label.contentsRect()
    inset = 2 * label.margin() + max(0, label.indent())
    width, height = rect.width() - inset, rect.height() - 2 * label.margin()
    metrics = QFontMetrics(label.font())
    if label.wordWrap():
        for word in _WORDS.findall(text):
            if metrics.horizontalAdvance(word) > width:
                return f"{_name(label)}: the word {word!r} is wider than {width} px"
        needed = metrics.boundingRect(QRect(0, 0, width, 100_000),
                                      int(Qt.TextFlag.TextWordWrap), text).height()
    else:
        lines = text.split("\n")
        for line in lines:
            if metrics.horizontalAdvance(line) > width:
                return (f"{_name(label)} is cut: needs {metrics.horizontalAdvance(line)} px,"
                        f" has {width}")
        needed = metrics.lineSpacing() * (len(lines) - 1) + metrics.height()
    if needed > height + 1:
        return f"{_name(label)} is cut: needs {needed} px of height, has {height}"
    return ""


def _in_window(widget: QWidget, window: QWidget) -> QRect:
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def overlaps(window: QWidget) -> list[str]:
    """Pairs of visible sibling widgets whose rectangles overlap, and widgets sticking out of
    their parent (cut by it). Widgets marked `overlay` (a panel opened over the screen) are
    only checked to lie inside the window."""
    problems: list[str] = []
    bounds = window.rect()
    for parent in [window, *_widgets(window)]:
        children = [c for c in parent.findChildren(QWidget, options=Qt.FindChildOption.
                                                   FindDirectChildrenOnly)
                    if _visible(c, window) and not _internal(c) and not c.isWindow()]
        plain = [c for c in children if not c.property("overlay")]
        for n, a in enumerate(plain):
            ra = a.geometry()
            if not parent.rect().contains(ra) and parent is not window and \
                    not _scrolls(parent):
                problems.append(f"{_name(a)} sticks out of {_name(parent)}: "
                                f"{ra.getRect()} in {parent.rect().getRect()}")
            for b in plain[n + 1:]:
                if ra.intersects(b.geometry()):
                    problems.append(f"{_name(a)} {_in_window(a, window).getRect()} overlaps "
                                    f"{_name(b)} {_in_window(b, window).getRect()}")
        for c in children:
            if c.property("overlay") and not bounds.contains(_in_window(c, window)):
                problems.append(f"overlay {_name(c)} is not inside the window: "
                                f"{_in_window(c, window).getRect()}")
    return problems


def small_targets(window: QWidget, minimum: int = MIN_TOUCH_PX) -> list[str]:
    """Clickable widgets smaller than a gloved finger."""
    return [f"{_name(w)} is {w.width()}x{w.height()} px (< {minimum})"
            for w in _widgets(window)
            if isinstance(w, QAbstractButton | QComboBox) and w.isEnabled()
            and (w.width() < minimum or w.height() < minimum)]


def problems(window: QWidget) -> list[str]:
    """Everything wrong with the window's layout as it is now on screen."""
    found = [p for label in _widgets(window) if isinstance(label, QLabel)
             if (p := label_problem(label))]
    return found + overlaps(window) + small_targets(window)
