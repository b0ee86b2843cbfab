"""The manager view (behind the PIN): counts, the five-minute chart, recent scans, conflicts,
the mesh's peers, actions."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gatescan.gate.ledger.reports import Conflict, GateReport, OtherAdmission
from gatescan.gate.mesh.status import MeshPeer, MeshSummary
from gatescan.gate.sync.status import SyncStatus
from gatescan.gate.ui import theme
from gatescan.gate.ui.chart import ScanChart
from gatescan.gate.ui.flow_layout import FlowLayout
from gatescan.gate.ui.paths import usb_dir
from gatescan.gate.ui.reasons import outcome_label
from gatescan.gate.ui.scrolling import scrolled
from gatescan.gate.ui.status_strip import hhmm
from gatescan.protocol.clock import UTC_ZONE, EventTime, format_hms, local_time

# Outcomes the "refused or checked" figure leaves out: admissions and the supervisor's actions.
_NOT_REFUSED = frozenset({"admitted", "override_admitted", "admission_undone"})


class _Figure(QFrame):
    """A card with a big number and a caption."""

    def __init__(self, name: str, caption: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.setProperty("role", "card")
        self.value = QLabel("0", self)
        self.value.setObjectName(name)
        self.value.setFont(theme.font(40, bold=True))
        label = QLabel(caption, self)
        label.setProperty("role", "dim")
        label.setWordWrap(True)
        col = QVBoxLayout(self)
        col.setContentsMargins(18, 12, 18, 12)
        col.addWidget(self.value)
        col.addWidget(label)


def _table(parent: QWidget, name: str, headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    return table


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(value))


class ManagerView(QWidget):
    """Live figures for the gate and the manager's actions; data arrives by `set_stats`."""

    back_requested = Signal()
    refresh_requested = Signal()
    export_requested = Signal(str)
    sync_requested = Signal()
    switch_event_requested = Signal(str)
    setup_requested = Signal()
    quit_requested = Signal()
    override_requested = Signal()  # "admit anyway" for the latest refusal (ui/supervisor.py)
    undo_requested = Signal()  # "undo last admission"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("manager_view")
        self.stats: GateReport | None = None
        self.zone: EventTime = UTC_ZONE  # every time here is in the event's zone
        heading = QLabel(self.tr("Manager"), self)
        heading.setProperty("role", "heading")
        self.event_label = QLabel(self)
        self.event_label.setObjectName("manager_event")
        self.event_label.setProperty("role", "dim")
        back = QPushButton(self.tr("Back to scanning"), self)
        back.setObjectName("back_button")
        back.setProperty("primary", True)
        back.clicked.connect(self.back_requested.emit)
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addWidget(self.event_label, 1)
        top.addWidget(back)
        self.total = _Figure("total", self.tr("Scans"), self)
        self.admitted = _Figure("admitted_total", self.tr("Admitted"), self)
        self.refused = _Figure("refused_total", self.tr("Refused or checked"), self)
        self.pending = _Figure("pending", self.tr("Waiting to upload"), self)
        self.conflicts = _Figure("conflicts", self.tr("Conflicts"), self)
        figures = QHBoxLayout()
        for fig in (self.total, self.admitted, self.refused, self.pending, self.conflicts):
            figures.addWidget(fig)
        self.chart = ScanChart(self)
        self.by_type = _table(self, "by_type", [self.tr("Ticket type"), self.tr("Admitted"),
                                                self.tr("Refused")])
        self.recent = _table(self, "recent", [self.tr("Time"), self.tr("Ticket"),
                                                  self.tr("Type"), self.tr("Outcome"),
                                              self.tr("Source")])
        fit = QHeaderView.ResizeMode.ResizeToContents  # short columns: the words get the rest
        for column in (0, 1, 4):
            self.recent.horizontalHeader().setSectionResizeMode(column, fit)
        self.by_outcome = _table(self, "by_outcome", [self.tr("Outcome"), self.tr("Scans")])
        self.conflict_table = _table(self, "conflict_table", [
            self.tr("Ticket"), self.tr("Type"), self.tr("Here"), self.tr("Also admitted at")])
        self.conflict_box = self._titled(
            self.tr("Conflicts: admitted here and elsewhere while offline"), self.conflict_table)
        self.conflict_box.hide()
        self.peer_table = _table(self, "peer_table", [
            self.tr("Gate"), self.tr("Address"), self.tr("Last contact"), self.tr("Behind")])
        mesh_body = QWidget(self)
        self.mesh_label = QLabel(mesh_body)
        self.mesh_label.setObjectName("mesh_label")
        mesh_col = QVBoxLayout(mesh_body)
        mesh_col.setContentsMargins(0, 0, 0, 0)
        mesh_col.addWidget(self.mesh_label)
        mesh_col.addWidget(self.peer_table, 1)
        self.mesh_box = self._titled(self.tr("Mesh: gates nearby"), mesh_body)
        self.mesh_box.hide()
        grid = QGridLayout()
        grid.setSpacing(12)
        grid.addWidget(self._titled(self.tr("Admissions per 5 minutes"), self.chart), 0, 0)
        grid.addWidget(self._titled(self.tr("By ticket type"), self.by_type), 0, 1)
        grid.addWidget(self._titled(self.tr("Recent scans"), self.recent), 1, 0)
        grid.addWidget(self._titled(self.tr("By outcome"), self.by_outcome), 1, 1)
        grid.addWidget(self.conflict_box, 2, 0, 1, 2)
        grid.addWidget(self.mesh_box, 3, 0, 1, 2)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        self.sync_label = QLabel(self)
        self.sync_label.setObjectName("manager_sync")
        self.sync_label.setProperty("role", "dim")
        self.export_button = self._button(self.tr("Export scans…"), "export_button",
                                          self._ask_export)
        self.sync_button = self._button(self.tr("Force sync"), "sync_button",
                                        self.sync_requested.emit)
        self.switch_button = self._button(self.tr("Switch event…"), "switch_button",
                                          self._ask_manifest)
        self.setup_button = self._button(self.tr("Gate set-up"), "setup_button",
                                         self.setup_requested.emit)
        self.quit_button = self._button(self.tr("Exit app"), "quit_button",
                                        self.quit_requested.emit)
        self.override_button = self._button(self.tr("Admit last refusal anyway…"),
                                            "override_button", self.override_requested.emit)
        self.undo_button = self._button(self.tr("Undo last admission…"), "undo_button",
                                        self.undo_requested.emit)
        self.sync_label.setWordWrap(True)
        actions = FlowLayout(spacing=10)
        for b in (self.override_button, self.undo_button, self.export_button, self.sync_button,
                  self.switch_button, self.setup_button, self.quit_button):
            actions.add(b)
        body = QWidget(self)
        inner = QVBoxLayout(body)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.setSpacing(12)
        inner.addLayout(figures)
        inner.addLayout(grid, 1)
        inner.addWidget(self.sync_label)
        for table in (self.by_type, self.recent, self.by_outcome, self.conflict_table,
                      self.peer_table):
            table.setMinimumHeight(150)
        # On a small display the figures and tables scroll; the way back and the actions
        # stay on screen.
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 12, 20, 12)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addWidget(scrolled(body, self), 1)
        layout.addLayout(actions)

    def _button(self, text: str, name: str, slot: object) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.clicked.connect(slot)
        return button

    def _titled(self, title: str, body: QWidget) -> QWidget:
        box = QFrame(self)
        box.setProperty("role", "card")
        label = QLabel(title, box)
        label.setFont(theme.font(17, bold=True))
        col = QVBoxLayout(box)
        col.setContentsMargins(12, 10, 12, 12)
        col.addWidget(label)
        col.addWidget(body, 1)
        return box

    def resizeEvent(self, event: QResizeEvent) -> None:
        """The big figures scale with the window's height."""
        super().resizeEvent(event)
        size = theme.scaled(40, self.height(), least=26)
        for fig in (self.total, self.admitted, self.refused, self.pending, self.conflicts):
            fig.value.setFont(theme.font(size, bold=True))

    def set_zone(self, zone: EventTime) -> None:
        """Show every time (recent scans, conflicts, chart) in this event zone."""
        self.zone = zone
        self.chart.set_zone(zone)

    def set_stats(self, stats: GateReport) -> None:
        """Show a fresh snapshot from the ledger."""
        self.stats = stats
        self.event_label.setText(stats.event_name or self.tr("No event loaded"))
        self.total.value.setText(f"{stats.total:,}")
        self.admitted.value.setText(f"{stats.admitted:,}")
        self.refused.value.setText(f"{stats.refused:,}")
        self.pending.value.setText(f"{stats.pending_uploads:,}")
        self.chart.set_buckets(stats.buckets)
        _fill(self.by_type, [[name, f"{ok:,}", f"{bad:,}"] for name, ok, bad in stats.by_type])
        _fill(self.by_outcome, [[outcome_label(o), f"{n:,}"] for o, n in stats.by_outcome])
        _fill(self.recent, [[format_hms(s.time, self.zone),
                             s.ticket or "—", s.type_name or "—",
                             outcome_label(s.outcome), self._source(s.source)]
                            for s in stats.recent])
        _fill(self.conflict_table, [self._conflict_row(c) for c in stats.conflicts])
        self.conflict_box.setVisible(bool(stats.conflicts))

    def _conflict_row(self, c: Conflict) -> list[str]:
        at = self.tr("{gate} at {time}")
        here = at.format(gate=c.gate, time=format_hms(c.time, self.zone))
        others = "; ".join(self._other(c, o) for o in c.others)
        return [c.ticket, c.type_name or "—", here, others or self.tr("(not synced yet)")]

    def _other(self, c: Conflict, o: OtherAdmission) -> str:
        """'Gate 3 at 19:02:07, 0.4 s before': where, and how long before or after ours."""
        gap = o.time - c.time
        seconds = f"{abs(gap):.1f}" if abs(gap) < 60 else f"{abs(gap):,.0f}"
        when = (self.tr("{seconds} s before") if gap < 0 else self.tr("{seconds} s after")
                ).format(seconds=seconds)
        return self.tr("{gate} at {time}, {when}").format(
            gate=o.gate, time=format_hms(o.time, self.zone), when=when)

    def set_mesh(self, mesh: MeshSummary | None) -> None:
        """The mesh's peers with last contact and lag; hidden if the mesh never ran here."""
        self.mesh_box.setVisible(mesh is not None)
        if mesh is None:
            return
        if mesh.running:
            self.mesh_label.setText(self.tr("Mesh: {count} of {total} gates").format(
                count=mesh.reachable, total=mesh.gates))
        else:
            self.mesh_label.setText(self.tr("Mesh off"))
        _fill(self.peer_table, [self._peer_row(p, mesh.running) for p in mesh.peers])

    def _peer_row(self, p: MeshPeer, running: bool) -> list[str]:
        if p.last_contact_s is None or not running:
            heard = self.tr("never") if p.last_contact_s is None else "—"
        else:
            heard = self.tr("{seconds} s ago").format(seconds=f"{p.last_contact_s:,.0f}")
        behind = self.tr("{count} scans").format(count=f"{p.lag:,}")
        return [p.gate or p.device_id, p.address or "—", heard, behind]

    def _source(self, source: str) -> str:
        names = {"camera": self.tr("camera"), "wedge": self.tr("handheld"),
                 "manual": self.tr("manual"), "cli": self.tr("command line")}
        return names.get(source, source)

    def set_sync(self, status: SyncStatus | None) -> None:
        """Sync figures, or 'no server' when the gate runs from a manifest file."""
        self.sync_button.setEnabled(status is not None)
        if status is None:
            self.conflicts.value.setText("—")
            self.sync_label.setText(self.tr("No sync server: manifest loaded from a file"))
            return
        self.conflicts.value.setText(f"{status.conflicts:,}")
        state = self.tr("online") if status.online else self.tr("offline")
        self.sync_label.setText(self.tr("Server {state}, last sync {time}").format(
            state=state, time=hhmm(status.last_sync, self.zone)))

    def _ask_export(self) -> None:
        name = f"gatescan-scans-{local_time(time.time(), self.zone):%Y%m%d-%H%M}.csv"
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export scans"), str(usb_dir() / name), self.tr("CSV (*.csv)"),
            options=QFileDialog.Option.DontUseNativeDialog)
        if path:
            self.export_requested.emit(path)

    def _ask_manifest(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Load another event's manifest"), str(usb_dir()),
            self.tr("Manifests (*.gsm *.manifest);;All files (*)"),
            options=QFileDialog.Option.DontUseNativeDialog)
        if path:
            self.switch_event_requested.emit(path)

