"""The worker that runs an enrollment, and the operator's words for an unusable handshake.

Parsing the handshake and enrolling are the sync side's (`gatescan.gate.sync.handshake`,
`gatescan.gate.sync.enroll`); the UI drives an `Enroller` on a worker thread, and
works without one (manifest files).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QObject, Signal, Slot

from gatescan.gate.ledger.errors import LedgerError
from gatescan.gate.sync.errors import EnrollError
from gatescan.gate.sync.handshake import (
    Enroller,
    HandshakeError,
    HandshakeProblem,
    parse_handshake,
)

log = logging.getLogger(__name__)
translate = QCoreApplication.translate


def problem_text(problem: HandshakeProblem) -> str:
    """The operator's sentence, in the UI's language, for a handshake the gate cannot use."""
    if problem is HandshakeProblem.NEWER_VERSION:
        return translate("Enrollment", "Enrollment code from a newer server: update this gate")
    if problem is HandshakeProblem.NO_ADDRESS:
        return translate("Enrollment", "Enrollment code has no usable server address")
    if problem is HandshakeProblem.DAMAGED:
        return translate("Enrollment", "Enrollment code is damaged")
    if problem is HandshakeProblem.BAD_KEYS:
        return translate("Enrollment", "Enrollment code's key fingerprints are damaged")
    return translate("Enrollment", "Not an enrollment code")


class EnrollWorker(QObject):
    """Runs `Enroller.enroll` off the UI thread; reports `enrolled` or `enroll_failed(text)`.

    A refusal, an unreachable server or a disk the token cannot be written to is
    the operator's to fix: its message goes to the set-up screen. Anything else
    is a bug: the operator gets a short notice and the crash handler the traceback.
    """

    enrolled = Signal(object)  # gatescan.gate.sync.handshake.Enrolled
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
            self.enroll_failed.emit(problem_text(exc.problem))
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
