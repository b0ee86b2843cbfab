"""Enrollment handshakes (`docs/sync-protocol.md`) and the worker that runs an enrollment.

The handshake text comes from a QR code or a paste, so it is parsed strictly.
Enrolling itself is the sync engine's job; the UI drives it through the small
`Enroller` protocol on a worker thread, and works without one (manifest files).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from PySide6.QtCore import QCoreApplication, QObject, Signal, Slot

from gatescan.gate.ledger.errors import LedgerError
from gatescan.gate.sync.errors import EnrollError
from gatescan.gate.sync.handshake import Handshake  # the engine's type; its repr hides the code

log = logging.getLogger(__name__)
translate = QCoreApplication.translate

HANDSHAKE_TYPE = "gatescan-enroll"
HANDSHAKE_VERSIONS = frozenset({1})
MAX_HANDSHAKE_CHARS = 2048


class HandshakeError(ValueError):
    """Text that is not a usable enrollment handshake; `message` is for the operator."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class EnrollOutcome:
    """What the server assigned: the gate name and event, and any warning for the operator."""

    gate: str | None = None
    event_id: int | None = None
    warning: str | None = None


class Enroller(Protocol):
    """The sync engine's enrollment, as the UI uses it (`gatescan.gate.sync.enroll.GateEnroller`).

    Raises `gatescan.gate.sync.errors.EnrollError` (with a `message` for the operator)
    when the server refuses the code or cannot be reached.
    """

    def enroll(self, handshake: Handshake) -> EnrollOutcome:
        """Exchange the one-time code for a device token and fetch the manifest."""
        ...


def parse_handshake(text: str) -> Handshake:
    """Parse the enrollment QR text; raises `HandshakeError` for anything else."""
    if not text or len(text) > MAX_HANDSHAKE_CHARS or not text.lstrip().startswith("{"):
        raise HandshakeError(translate("Enrollment", "Not an enrollment code"))
    try:
        data = json.loads(text)
    except ValueError:
        raise HandshakeError(translate("Enrollment", "Not an enrollment code")) from None
    if not isinstance(data, dict) or data.get("type") != HANDSHAKE_TYPE:
        raise HandshakeError(translate("Enrollment", "Not an enrollment code"))
    if data.get("v") not in HANDSHAKE_VERSIONS:
        raise HandshakeError(translate(
            "Enrollment", "Enrollment code from a newer server: update this gate"))
    url, code = data.get("url"), data.get("code")
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https") \
            or not urlsplit(url).hostname:
        raise HandshakeError(translate(
            "Enrollment", "Enrollment code has no usable server address"))
    if not isinstance(code, str) or not 4 <= len(code) <= 64:
        raise HandshakeError(translate("Enrollment", "Enrollment code is damaged"))
    return Handshake(url, code)


class EnrollWorker(QObject):
    """Runs `Enroller.enroll` off the UI thread; reports `enrolled` or `enroll_failed(text)`.

    A refusal, an unreachable server or a disk the token cannot be written to is
    the operator's to fix: its message goes to the set-up screen. Anything else
    is a bug: the operator gets a short notice and the crash handler the traceback.
    """

    enrolled = Signal(object)  # EnrollOutcome (or the engine's Enrolled)
    enroll_failed = Signal(str)

    def __init__(self, enroller: Enroller) -> None:
        super().__init__()
        self._enroller = enroller

    @Slot(str)
    def enroll(self, text: str) -> None:
        """Parse the handshake and enroll; report the outcome."""
        try:
            outcome = self._enroller.enroll(parse_handshake(text))
        except HandshakeError as exc:
            self.enroll_failed.emit(exc.message)
        except EnrollError as exc:
            log.warning("enrollment refused (%s): %s", exc.code, exc.message)
            self.enroll_failed.emit(exc.message)
        except LedgerError as exc:  # enrolled, but the ledger could not be read afterwards
            log.error("enrollment: ledger: %s", exc.message)
            self.enroll_failed.emit(exc.message)
        except Exception:
            self.enroll_failed.emit(translate(
                "Enrollment", "an unexpected error in this program (it is logged): "
                              "restart the gate and try again"))
            raise  # a bug: to the crash handler, with its traceback
        else:
            log.info("enrolled (gate %s)", outcome.gate)
            self.enrolled.emit(outcome)
