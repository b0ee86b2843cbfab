"""The one bridge for operator messages: any part of the app posts, the window shows them."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)

LEVELS = ("info", "warn", "error")


class MessageBridge(QObject):
    """Posts a one-line message to the operator (and the log)."""

    message_posted = Signal(str, str)  # text, level

    def post(self, text: str, level: str = "info") -> None:
        """Show `text` in the window's message bar; errors and warnings are logged too."""
        if level not in LEVELS:
            level = "info"
        if level == "error":
            log.error("operator message: %s", text)
        elif level == "warn":
            log.warning("operator message: %s", text)
        self.message_posted.emit(text, level)
