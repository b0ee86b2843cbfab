"""A layout that puts its widgets in a row and wraps onto the next row when they do not fit.

The status strip uses it: on a wide screen all fields sit on one line; on the Pi's 800 px
panel they take two lines instead of being cut mid-word.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QWidget, QWidgetItem


class FlowLayout(QLayout):
    """Left-to-right rows of widgets; a widget marked `flow_end` is pushed to the right edge
    of the last row."""

    def __init__(self, parent: QWidget | None = None, *, spacing: int = 12) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._gap = spacing

    def addItem(self, item: QLayoutItem) -> None:
        """Qt calls this for `addWidget`."""
        self._items.append(item)

    def add(self, widget: QWidget) -> None:
        """Append `widget` (re-parented to the layout's widget)."""
        self.addChildWidget(widget)
        self.addItem(QWidgetItem(widget))

    def count(self) -> int:
        """How many items."""
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        """The item at `index`, or None."""
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        """Remove and return the item at `index`."""
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def set_gap(self, gap: int) -> None:
        """Space between fields and between rows."""
        self._gap = gap
        self.invalidate()

    def expandingDirections(self) -> Qt.Orientation:
        """Grows in neither direction by itself."""
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        """Its height depends on its width (more rows when narrower)."""
        return True

    def heightForWidth(self, width: int) -> int:
        """The height the rows take at `width`."""
        return self._place(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        """Place the widgets in rows inside `rect`."""
        super().setGeometry(rect)
        self._place(rect, move=True)

    def sizeHint(self) -> QSize:
        """All on one line."""
        m = self.contentsMargins()
        widths = [i.sizeHint().width() for i in self._visible()]
        height = max((i.sizeHint().height() for i in self._visible()), default=0)
        return QSize(sum(widths) + self._gap * max(0, len(widths) - 1) + m.left() + m.right(),
                     height + m.top() + m.bottom())

    def minimumSize(self) -> QSize:
        """As narrow as the widest single field."""
        m = self.contentsMargins()
        width = max((i.minimumSize().width() for i in self._visible()), default=0)
        height = max((i.sizeHint().height() for i in self._visible()), default=0)
        return QSize(width + m.left() + m.right(), height + m.top() + m.bottom())

    def _visible(self) -> list[QLayoutItem]:
        return [i for i in self._items if not i.isEmpty()]

    def _place(self, rect: QRect, *, move: bool) -> int:
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        rows: list[list[QLayoutItem]] = [[]]
        used = 0
        for item in self._visible():
            w = item.sizeHint().width()
            if rows[-1] and used + self._gap + w > area.width():
                rows.append([])
                used = 0
            used += (self._gap if rows[-1] else 0) + w
            rows[-1].append(item)
        y = area.top()
        row_gap = max(2, self._gap // 3)
        for row in rows:
            height = max((i.sizeHint().height() for i in row), default=0)
            if move:
                x = area.left()
                for item in row:
                    size = item.sizeHint()
                    widget = item.widget()
                    if widget is not None and widget.property("flow_end") and item is row[-1]:
                        x = max(x, area.right() + 1 - size.width())
                    width = min(size.width(), area.right() + 1 - x)
                    item.setGeometry(QRect(QPoint(x, y + (height - size.height()) // 2),
                                           QSize(width, size.height())))
                    x += size.width() + self._gap
            y += height + row_gap
        return y - row_gap - area.top() + m.top() + m.bottom()
