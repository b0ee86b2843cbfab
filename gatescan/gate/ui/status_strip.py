"""The status strip: gate, server link, mesh, uploads, last sync, clock, camera, admitted count."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QWidget

from gatescan.gate.camera.frames import SourceState
from gatescan.gate.camera.health import CameraHealth
from gatescan.gate.mesh.status import MeshSummary
from gatescan.gate.sync.status import ClockState, SyncStatus
from gatescan.gate.ui import theme
from gatescan.gate.ui.flow_layout import FlowLayout
from gatescan.gate.ui.kinds import Direction
from gatescan.protocol.clock import UTC_ZONE, EventTime, format_hm, format_hms

_STATE_COLORS = {"ok": theme.OK, "warn": theme.WARN, "bad": theme.BAD, "info": theme.TEXT}


def hhmm(t: float | None, zone: EventTime = UTC_ZONE) -> str:
    """HH:MM of a unix time in the event's zone ('--:--' for none)."""
    return "--:--" if t is None else format_hm(t, zone)


class StatusChip(QLabel):
    """One field of the strip: a coloured dot and a short text."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.state = "info"
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setFont(theme.font(16))

    def set(self, text: str, state: str = "info") -> None:
        """Show `text` with the dot coloured by `state` (ok, warn, bad, info)."""
        self.state = state
        self.setProperty("plain", text)
        dot = _STATE_COLORS.get(state, theme.TEXT)
        escaped = text.replace("&", "&amp;").replace("<", "&lt;")
        self.setText(f'<span style="color:{dot}">●</span>&nbsp;{escaped}')

    def plain(self) -> str:
        """The text without the dot (tests read this)."""
        return str(self.property("plain") or "")


class StatusStrip(QFrame):
    """Always visible at the top of the gate screen."""

    def __init__(self, parent: QWidget | None = None,
                 now: Callable[[], float] = time.time) -> None:
        super().__init__(parent)
        self.setObjectName("status_strip")
        self.zone: EventTime = UTC_ZONE  # the event's clock, not the machine's
        self._now = now
        self._status: SyncStatus | None = None
        self.setStyleSheet(f"QFrame#status_strip {{ background: {theme.SURFACE}; }}"
                           " QLabel { background: transparent; }")
        self.gate = StatusChip("gate", self)
        self.link = StatusChip("link", self)
        self.mesh = StatusChip("mesh", self)
        self.mesh.hide()  # until a mesh node has run on this gate
        self.uploads = StatusChip("uploads", self)
        self.synced = StatusChip("synced", self)
        self.clock = StatusChip("clock", self)
        self.camera = StatusChip("camera", self)
        self.admitted = StatusChip("admitted", self)
        self.time = QLabel(self)
        self.time.setObjectName("time")
        self.time.setProperty("flow_end", True)
        self._row = FlowLayout(self)
        for chip in (self.gate, self.link, self.mesh, self.uploads, self.synced, self.clock,
                     self.camera, self.admitted, self.time):
            self._row.add(chip)
        self.set_text_size(16)
        self._camera_health = CameraHealth.STARTING
        self._camera_state = SourceState.IDLE.value
        self._camera_detail = ""
        self._fps = 0.0
        self.set_sync(None)
        self.set_counts(0, 0)
        self.set_camera(SourceState.IDLE.value, "")
        self.tick()

    def set_text_size(self, px: int) -> None:
        """Scale the strip: `px` is the fields' font size (the window picks it from its
        height); fields that do not fit on one line wrap onto a second."""
        for chip in (self.link, self.mesh, self.uploads, self.synced, self.clock, self.camera,
                     self.admitted):
            chip.setFont(theme.font(px))
        self.gate.setFont(theme.font(px + 2, bold=True))
        self.time.setFont(theme.font(px + 6, bold=True))
        pad = max(6, px // 2)
        self._row.setContentsMargins(pad + 6, pad // 2 + 2, pad + 6, pad // 2 + 2)
        self._row.set_gap(px)

    def set_gate(self, gate: str, direction: Direction) -> None:
        """Gate name and direction."""
        way = self.tr("Exit") if direction is Direction.EXIT else self.tr("Entry")
        self.gate.set(f"{gate} · {way}", "info")

    def set_zone(self, zone: EventTime) -> None:
        """Show every time in this event zone from now on."""
        self.zone = zone
        self.set_sync(self._status)
        self.tick()

    def now_text(self) -> str:
        """The event-local time now, HH:MM:SS."""
        return format_hms(self._now(), self.zone)

    def set_sync(self, status: SyncStatus | None) -> None:
        """Server link, last sync and clock from a `SyncStatus` (None: no sync service)."""
        self._status = status
        if status is None:
            self.link.set(self.tr("No server: manifest file"), "info")
            self.synced.set(self.tr("Sync off"), "info")
            self.clock.set(self.tr("Clock not synced"), "warn")
            return
        if not status.enrolled and not status.device_revoked:
            self.link.set(self.tr("Not enrolled: manifest file"), "info")
        elif status.device_revoked:
            self.link.set(self.tr("Device revoked"), "bad")
        elif status.online:
            self.link.set(self.tr("Online"), "ok")
        elif status.offline_since is not None:
            self.link.set(self.tr("Offline since {time}").format(
                time=hhmm(status.offline_since, self.zone)), "bad")
        else:
            self.link.set(self.tr("Offline"), "bad")
        if status.last_sync is None:
            self.synced.set(self.tr("Never synced"), "warn")
        else:
            synced = hhmm(status.last_sync, self.zone)
            self.synced.set(self.tr("Synced {time}").format(time=synced), "ok")
        clocks = {ClockState.SYNCED: (self.tr("Clock OK"), "ok"),
                  ClockState.UNSYNCED: (self.tr("Clock not synced"), "warn"),
                  ClockState.UNSET: (self.tr("Clock NOT SET"), "bad")}
        self.clock.set(*clocks[status.clock_state])

    def set_mesh(self, mesh: MeshSummary | None) -> None:
        """Gates of the roster this gate's mesh reaches (itself included); hidden if the mesh
        never ran here, off if its node stopped writing its status."""
        if mesh is None:
            self.mesh.hide()
            return
        self.mesh.show()
        if not mesh.running:
            self.mesh.set(self.tr("Mesh off"), "bad")
            return
        text = self.tr("Mesh: {count} of {total} gates").format(count=mesh.reachable,
                                                                 total=mesh.gates)
        if mesh.conflicts:
            text += " · " + self.tr("{count} conflicts").format(count=mesh.conflicts)
        state = "bad" if mesh.conflicts else "ok" if mesh.reachable == mesh.gates else "warn"
        self.mesh.set(text, state)

    def set_counts(self, admitted: int, pending: int) -> None:
        """People admitted here and scans not yet uploaded."""
        self.admitted.set(self.tr("Admitted {count}").format(count=f"{admitted:,}"), "info")
        self.uploads.set(self.tr("{count} to upload").format(count=f"{pending:,}"),
                         "ok" if pending == 0 else "warn")

    def set_camera(self, state: str, detail: str) -> None:
        """The camera's state (a `SourceState` value)."""
        self._camera_state, self._camera_detail = state, detail
        self._show_camera()

    def set_fps(self, fps: float) -> None:
        """The measured frame rate."""
        self._fps = fps
        self._show_camera()

    def set_camera_health(self, health: str, _detail: str = "") -> None:
        """The camera's health (a `CameraHealth` value): an outage overrides the state."""
        self._camera_health = CameraHealth(health)
        self._show_camera()

    def _camera_outage(self) -> str | None:
        """The chip's text while the camera is out, else None."""
        texts = {CameraHealth.MISSING: self.tr("No camera"),
                 CameraHealth.LOST: self.tr("Camera lost: retrying"),
                 CameraHealth.FROZEN: self.tr("Camera frozen"),
                 CameraHealth.BLACK: self.tr("Camera picture black"),
                 CameraHealth.ENDED: self.tr("Video ended"),
                 CameraHealth.FAILED: self.tr("Camera failed")}
        return texts.get(self._camera_health)

    def _show_camera(self) -> None:
        outage = self._camera_outage()
        if outage is not None:
            self.camera.set(outage, "bad")
            return
        state = self._camera_state
        if state == SourceState.LIVE.value:
            self.camera.set(self.tr("Camera {fps} fps").format(fps=f"{self._fps:.0f}"), "ok")
        elif state == SourceState.OPENING.value:
            self.camera.set(self.tr("Camera starting"), "warn")
        elif state == SourceState.UNAVAILABLE.value:
            self.camera.set(self.tr("Camera lost: retrying"), "bad")
        elif state == SourceState.ENDED.value:
            self.camera.set(self.tr("Video ended"), "warn")
        elif state == SourceState.FAILED.value:
            self.camera.set(self.tr("Camera failed"), "bad")
        else:
            self.camera.set(self.tr("Camera off"), "warn")

    def tick(self) -> None:
        """Refresh the wall clock (event-local)."""
        self.time.setText(format_hm(self._now(), self.zone))
