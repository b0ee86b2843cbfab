"""Manual lookup: find the ticket of a visitor whose phone is dead, then admit it as manual.

Staff type the ticket number as the wallet page shows it (four groups of four),
or, for an event that carries attendee data, the order code or the name. Nothing
typed here reaches the gate screen until a ticket is found: a typo or an unknown
number is an error inside this panel, not a public verdict. Several matches are a
list to pick from; a known name asks staff to check photo ID.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gatescan.gate.ledger.lookup import MAX_MATCHES, TicketMatch
from gatescan.gate.ui import theme
from gatescan.protocol.token import TokenError, format_ticket_id, parse_ticket_id

SEP = "  ·  "


def wallet_form(ticket_id: int) -> str:
    """The ticket number as the wallet page shows it: 16 hex digits in groups of four."""
    digits = format_ticket_id(ticket_id)
    return " ".join(digits[i:i + 4] for i in range(0, len(digits), 4))


class ManualLookupPanel(QFrame):
    """Search field, error line and match list.

    Emits `search_requested(text)` for the ledger to answer with `show_matches`,
    `lookup_requested(ticket id)` to check and admit a found ticket, or `cancelled()`.
    """

    search_requested = Signal(str)
    lookup_requested = Signal(str)
    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("manual_lookup")
        self.setProperty("role", "card")
        self._attendees = False
        self._matches: list[TicketMatch] = []
        self._pending: str | None = None  # the text a search is out for
        heading = QLabel(self.tr("Manual lookup"), self)
        heading.setProperty("role", "heading")
        self.hint = QLabel(self)
        self.hint.setObjectName("lookup_hint")
        self.hint.setProperty("role", "dim")
        self.hint.setWordWrap(True)
        self.field = QLineEdit(self)
        self.field.setObjectName("lookup_field")
        self.field.setPlaceholderText("0123 4567 89ab cdef")
        self.field.setMaxLength(80)
        self.field.returnPressed.connect(self._submit)
        self.field.textEdited.connect(self._edited)
        self.error = QLabel(self)
        self.error.setObjectName("lookup_error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {theme.BAD}; font-weight: bold;")
        self.error.hide()
        self.results = QListWidget(self)
        self.results.setObjectName("lookup_results")
        self.results.setMinimumHeight(64)  # the panel must fit a 480-pixel-high screen
        self.results.setMaximumHeight(180)
        self.results.setWordWrap(True)
        self.results.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.results.currentRowChanged.connect(self._selected)
        self.results.itemActivated.connect(lambda _item: self._submit())
        self.results.hide()
        self.photo_id = QLabel(self)
        self.photo_id.setObjectName("lookup_photo_id")
        self.photo_id.setWordWrap(True)
        self.photo_id.setStyleSheet(f"color: {theme.WARN}; font-weight: bold;")
        self.photo_id.hide()
        self.go = QPushButton(self.tr("Find"), self)
        self.go.setObjectName("lookup_go")
        self.go.setProperty("primary", True)
        self.go.clicked.connect(self._submit)
        cancel = QPushButton(self.tr("Cancel"), self)
        cancel.clicked.connect(self.close_panel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        for widget in (heading, self.hint, self.field, self.error, self.results, self.photo_id):
            layout.addWidget(widget)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(cancel)
        row.addWidget(self.go)
        layout.addLayout(row)
        self._show_hint()
        self.hide()

    # -- what the event allows ----------------------------------------------------------
    def set_attendee_search(self, enabled: bool) -> None:
        """The event's manifest carries names and order codes: say they can be typed."""
        self._attendees = enabled
        self._show_hint()

    def _show_hint(self) -> None:
        if self._attendees:
            text = self.tr("Phone dead? Type the ticket number as the ticket page shows it "
                           "(0123 4567 89ab cdef), the order code, or the name.")
        else:
            text = self.tr("Phone dead? Type the ticket number as the ticket page shows it: "
                           "16 characters, like 0123 4567 89ab cdef. A valid ticket is "
                           "admitted and recorded.")
        self.hint.setText(text)

    # -- opening and closing --------------------------------------------------------------
    def open_panel(self) -> None:
        """Show the panel with an empty, focused field."""
        self.field.clear()
        self._reset()
        self.show()
        self.raise_()
        self.field.setFocus()

    def close_panel(self) -> None:
        """Hide the panel."""
        self.field.clearFocus()
        self.hide()
        self._pending = None
        self.cancelled.emit()

    def _reset(self) -> None:
        self._pending = None
        self._matches = []
        self.results.clear()
        self.results.hide()
        self.photo_id.hide()
        self.set_error("")
        self.go.setText(self.tr("Find"))
        self.go.setEnabled(True)

    def _edited(self, _text: str) -> None:
        if self._matches or self.error.isVisible():
            self._reset()  # a new search: the old list or error no longer applies

    def set_error(self, text: str) -> None:
        """An error inside the panel ('' hides it); the gate screen does not change."""
        self.error.setText(text)
        self.error.setVisible(bool(text))
        self.adjustSize()

    # -- searching -------------------------------------------------------------------------
    def _submit(self) -> None:
        if self._matches:
            row = self.results.currentRow()
            if 0 <= row < len(self._matches):
                self._admit(self._matches[row])
            return
        text = self.field.text().strip()
        if not text or self._pending is not None:
            return
        self._pending = text
        self.set_error("")
        self.go.setEnabled(False)
        self.search_requested.emit(text)

    def show_matches(self, query: str, matches: Sequence[TicketMatch] | None,
                     type_names: Mapping[int, str]) -> None:
        """The ledger's answer to `search_requested(query)` (None: it could not be read)."""
        if query != self._pending or not self.isVisible():
            return  # an answer to a search the panel has moved on from
        self._pending = None
        self.go.setEnabled(True)
        if matches is None:
            self.set_error(self.tr("The ticket list cannot be read: try again, or call a "
                                   "manager"))
            return
        found = list(matches)
        if not found:
            self.set_error(self._not_found(query))
            return
        if len(found) == 1 and found[0].matched == "ticket_id" and not found[0].holder_name:
            self._admit(found[0])  # the exact number, nothing to compare: straight to the check
            return
        self._matches = found[:MAX_MATCHES]
        self.results.clear()
        for m in self._matches:
            QListWidgetItem(self._describe(m, type_names), self.results)
        self.results.show()
        if len(found) > MAX_MATCHES:
            self.set_error(self.tr("More than {count} found: type more of the name").format(
                count=MAX_MATCHES))
        self.go.setText(self.tr("Check and admit"))
        self.results.setCurrentRow(0)
        self.results.setFocus()
        self.fit_in_parent()

    def fit_in_parent(self) -> None:
        """Size to the contents, never taller than the screen it is on, and centre it."""
        self.adjustSize()
        parent = self.parentWidget()
        if parent is None:
            return
        height = min(self.height(), parent.height() - 8)
        self.resize(self.width(), height)
        self.move((parent.width() - self.width()) // 2, max(0, (parent.height() - height) // 2))

    def _not_found(self, query: str) -> str:
        try:
            number = parse_ticket_id(query)
        except TokenError:
            if self._attendees:
                return self.tr("Nothing found for “{text}”: check the spelling, or type the "
                               "ticket number").format(text=query[:40])
            return self.tr("Not a ticket number: type the 16 characters the ticket page shows, "
                           "like 0123 4567 89ab cdef")
        return self.tr("Ticket {ticket} is not on this gate's list: check the number, or sync "
                       "and try again").format(ticket=wallet_form(number))

    def _describe(self, m: TicketMatch, type_names: Mapping[int, str]) -> str:
        parts = [m.holder_name or self.tr("(no name)"), wallet_form(m.ticket_id)]
        if m.type_id in type_names:
            parts.append(type_names[m.type_id])
        if m.order_code:
            parts.append(self.tr("order {code}").format(code=m.order_code))
        if m.seat:
            parts.append(m.seat)
        if m.revoked:
            parts.append(self.tr("cancelled"))
        return SEP.join(parts)

    def _selected(self, row: int) -> None:
        name = self._matches[row].holder_name if 0 <= row < len(self._matches) else None
        # Only a name on the ticket can be checked against an ID card.
        self.photo_id.setText(self.tr("Check photo ID: {name}").format(name=name or ""))
        self.photo_id.setVisible(bool(name))

    def _admit(self, match: TicketMatch) -> None:
        self.field.clearFocus()
        self.hide()
        self._reset()
        self.lookup_requested.emit(format_ticket_id(match.ticket_id))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Escape closes the panel."""
        if event.key() == Qt.Key.Key_Escape:
            self.close_panel()
            return
        super().keyPressEvent(event)
