"""The window: set-up, gate and manager screens, the PIN prompt, and the kiosk close guard."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QResizeEvent
from PySide6.QtWidgets import QLayout, QMainWindow, QMessageBox, QStackedWidget, QWidget

from gatescan.gate.ui import theme
from gatescan.gate.ui.gate_screen import GateScreen
from gatescan.gate.ui.manager_view import ManagerView
from gatescan.gate.ui.pin_panel import PinPanel

log = logging.getLogger(__name__)

MAX_PIN_TRIES = 5
LOCKOUT_S = 30.0


class _Screens(QStackedWidget):
    """The screens, one at a time. Reports no height-for-width: wrapped text in a hidden
    screen must not make the window taller than the display (each screen fits or scrolls)."""

    def hasHeightForWidth(self) -> bool:
        """No: the window's height is the display's."""
        return False


class MainWindow(QMainWindow):
    """Hosts the screens; in kiosk mode it closes only after the manager PIN."""

    screen_changed = Signal(str)  # "setup", "gate" or "manager"
    manager_opened = Signal()
    pin_confirmed = Signal(str)  # the purpose given to `request_pin`, once the PIN was right
    repainted = Signal()  # a paint pass of the window is done and handed to the screen

    def __init__(self, gate: GateScreen, manager: ManagerView, *,
                 check_pin: Callable[[str], bool], kiosk: bool = False) -> None:
        super().__init__()
        self.setObjectName("main_window")
        self.setWindowTitle(self.tr("GateScan"))
        self.kiosk = kiosk
        self.gate = gate
        self.manager = manager
        self.setup: QWidget | None = None
        self._check_pin = check_pin
        self._may_close = False
        self._pin_purpose = ""
        self._failures = 0
        self._locked_until = 0.0
        self._size_class: int | None = None  # the size class the window's style sheet is for
        self._restyle_queued = False
        self.stack = _Screens(self)
        self.stack.addWidget(gate)
        self.stack.addWidget(manager)
        self.setCentralWidget(self.stack)
        # The window is the display's size, never what the contents ask for: a minimum set
        # from an earlier layout (before the text was scaled down) would keep it too tall
        # for a 480 px panel. The screens fit themselves to it (tests/gate/ui/test_screen_sizes).
        layout = self.layout()
        if layout is not None:
            layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self.pin = PinPanel(self)
        self.pin.pin_entered.connect(self._pin_entered)
        self.pin.cancelled.connect(self._pin_cancelled)
        gate.manager_requested.connect(self.request_manager)
        manager.back_requested.connect(self.show_gate)
        manager.quit_requested.connect(self.request_exit)

    def event(self, event: QEvent) -> bool:
        """As QMainWindow; after a paint pass (children included, flushed), `repainted`."""
        handled = super().event(event)
        if event.type() == QEvent.Type.UpdateRequest:
            self.repainted.emit()
        return handled

    # -- screens ----------------------------------------------------------------------
    def set_setup(self, setup: QWidget) -> None:
        """Install (or replace) the set-up screen."""
        if self.setup is not None:
            self.stack.removeWidget(self.setup)
            self.setup.deleteLater()
        self.setup = setup
        self.stack.addWidget(setup)

    def current_screen(self) -> str:
        """'setup', 'gate' or 'manager'."""
        widget = self.stack.currentWidget()
        if widget is self.gate:
            return "gate"
        return "manager" if widget is self.manager else "setup"

    def show_gate(self) -> None:
        """Scan."""
        self.stack.setCurrentWidget(self.gate)
        self.gate.show_ready()
        self.screen_changed.emit("gate")

    def show_setup(self) -> None:
        """The set-up screen."""
        if self.setup is not None:
            self.stack.setCurrentWidget(self.setup)
            self.screen_changed.emit("setup")

    def show_manager(self) -> None:
        """The manager view (the caller has checked the PIN)."""
        self.stack.setCurrentWidget(self.manager)
        self.screen_changed.emit("manager")
        self.manager_opened.emit()

    def request_manager(self) -> None:
        """Ask for the PIN, then open the manager view."""
        self._ask("manager", self.tr("Manager PIN"))

    def request_exit(self) -> None:
        """Close after asking: the manager PIN in kiosk mode, a confirmation otherwise."""
        if not self.kiosk:
            self._confirm_exit()
            return
        self._ask("exit", self.tr("Manager PIN to close GateScan"))

    def request_pin(self, purpose: str, prompt: str) -> None:
        """Ask for the manager PIN; `pin_confirmed(purpose)` follows if it is right."""
        self._ask(purpose, prompt)

    def _confirm_exit(self) -> None:
        """A window-modal question (not a blocking exec): Cancel is the default."""
        buttons = QMessageBox.StandardButton
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Close GateScan?"),
                          self.tr("This gate stops scanning until GateScan is started again. "
                                  "Every scan so far is saved."),
                          buttons.Yes | buttons.Cancel, self)
        box.setObjectName("confirm_exit")
        yes = box.button(buttons.Yes)
        yes.setText(self.tr("Close GateScan"))
        yes.setObjectName("confirm_exit_yes")
        box.setDefaultButton(buttons.Cancel)
        box.setEscapeButton(buttons.Cancel)
        box.finished.connect(lambda _result: self._exit_answered(box.clickedButton() is yes))
        box.open()

    def _exit_answered(self, close: bool) -> None:
        if close:
            self.allow_close()

    def allow_close(self) -> None:
        """Close now, bypassing the kiosk guard (PIN already checked, or shutting down)."""
        self._may_close = True
        self.close()

    # -- PIN --------------------------------------------------------------------------
    def _ask(self, purpose: str, prompt: str) -> None:
        self._pin_purpose = purpose
        self.pin.ask(prompt)
        self._place_pin()

    def _pin_entered(self, pin: str) -> None:
        now = time.monotonic()
        if now < self._locked_until:
            self.pin.reject(self.tr("Too many wrong PINs: wait {s} s").format(
                s=int(self._locked_until - now) + 1))
            return
        if not self._check_pin(pin):
            self._failures += 1
            log.warning("wrong manager PIN (%d in a row)", self._failures)
            if self._failures >= MAX_PIN_TRIES:
                self._failures = 0
                self._locked_until = now + LOCKOUT_S
            self.pin.reject(self.tr("Wrong PIN"))
            return
        self._failures = 0
        self.pin.hide()
        purpose, self._pin_purpose = self._pin_purpose, ""
        if purpose == "manager":
            self.show_manager()
        elif purpose == "exit":
            self.allow_close()
        elif purpose:
            self.pin_confirmed.emit(purpose)

    def _pin_cancelled(self) -> None:
        self._pin_purpose = ""

    def _place_pin(self) -> None:
        self.pin.fit(self.width(), self.height())
        self.pin.adjustSize()
        self.pin.move((self.width() - self.pin.width()) // 2,
                      (self.height() - self.pin.height()) // 2)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Keep the PIN panel centred; restyle (later, see `_restyle`) if the size class changed."""
        super().resizeEvent(event)
        if theme.size_class(self.height()) != self._size_class and not self._restyle_queued:
            self._restyle_queued = True
            QTimer.singleShot(0, self, self._restyle)
        self._place_pin()

    def _restyle(self) -> None:
        """Scale buttons and fields with the window's height. Queued from `resizeEvent`, not
        done in it: setStyleSheet re-polishes every widget in the window, which must not run
        inside the resize it causes, nor once per pixel while an edge is dragged."""
        self._restyle_queued = False
        size_class = theme.size_class(self.height())
        if size_class == self._size_class:
            return
        self._size_class = size_class
        self.setStyleSheet(theme.sized_style(self.height()))
        self._place_pin()

    def closeEvent(self, event: QCloseEvent) -> None:
        """In kiosk mode, refuse to close until the manager PIN was entered."""
        if self.kiosk and not self._may_close:
            event.ignore()
            if not self.pin.isVisible():
                self._ask("exit", self.tr("Manager PIN to close GateScan"))
            return
        event.accept()
