"""When the turnstile opens: one pulse per recorded admission, and what happens if nobody passed.

`should_pulse` is the rule (recorded, admitting, not a repeat read); `Door`
runs the pulses on its own thread, one person at a time, so the GUI never
waits for a relay. With a "passed" sensor, an entry admission that sees no
passage within the timeout is reported through `on_no_passage(scan_id)`; the
gate app records that as an `admission_undone` ("no passage").
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from gatescan.gate.actuators.base import Actuator, ActuatorError, PassageSensor
from gatescan.protocol.verdict import Outcome, Verdict

log = logging.getLogger(__name__)

# Entries the door can take back when nobody went through (exits are never undone).
UNDOABLE = frozenset({Outcome.ADMITTED, Outcome.OVERRIDE_ADMITTED})
_WAIT_SLICE = 0.1  # seconds: how often a passage wait looks at the stop flag


def should_pulse(recorded: bool, verdict: Verdict) -> bool:
    """True if this verdict opens the turnstile: durably recorded and admitting a person.

    Never for a refusal, an amber CHECK, a dry run or a scan that could not be
    recorded (`recorded` False), and never for a repeat read (they are through).
    """
    return (recorded and verdict.admit and verdict.outcome is not Outcome.REPEAT_READ
            and verdict.outcome is not Outcome.ADMISSION_UNDONE)


@dataclass(frozen=True, slots=True)
class _Job:
    scan_id: str
    undoable: bool


class Door:
    """Pulses `relay` for each admission on a worker thread; watches `sensor` if there is one."""

    def __init__(self, relay: Actuator, *, pulse_ms: int, sensor: PassageSensor | None = None,
                 passed_timeout: float = 10.0,
                 on_no_passage: Callable[[str], None] | None = None,
                 on_error: Callable[[ActuatorError], None] | None = None) -> None:
        self.relay = relay
        self.sensor = sensor
        self.pulse_ms = pulse_ms
        self.passed_timeout = passed_timeout
        self._on_no_passage = on_no_passage
        self._on_error = on_error
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._stop = threading.Event()
        self.pulses = 0  # pulses sent (for the status and tests)
        self._thread = threading.Thread(target=self._run, name="gatescan-door", daemon=True)
        self._thread.start()

    def admitted(self, scan_id: str, verdict: Verdict, *, recorded: bool = True) -> bool:
        """Open for this verdict if `should_pulse`; returns whether a pulse was queued."""
        if self._stop.is_set() or not should_pulse(recorded, verdict):
            return False
        self._jobs.put(_Job(scan_id, verdict.outcome in UNDOABLE and self.sensor is not None))
        return True

    def close(self, timeout: float = 5.0) -> bool:
        """Send the pulses already queued (recorded admissions), stop watching for passages
        (no undo while closing), release the hardware."""
        self._stop.set()
        self._jobs.put(None)
        self._thread.join(timeout)
        alive = self._thread.is_alive()
        for device in (self.relay, self.sensor):
            if device is not None:
                try:
                    device.close()
                except ActuatorError as exc:
                    log.warning("closing the door hardware: %s", exc.message)
        return not alive

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                self._open(job)
            except ActuatorError as exc:
                log.error("turnstile relay failed (%s): %s", exc.code, exc.message)
                if self._on_error is not None:
                    self._on_error(exc)

    def _open(self, job: _Job) -> None:
        if self.sensor is not None:
            self.sensor.arm()
        self.relay.pulse(self.pulse_ms)
        self.pulses += 1
        log.info("turnstile opened for scan %s", job.scan_id)
        if not job.undoable or self.sensor is None:
            return
        if self._passed(self.sensor):
            log.info("passage seen for scan %s", job.scan_id)
            return
        if self._stop.is_set():
            return
        log.warning("no passage within %.0f s: admission %s is undone", self.passed_timeout,
                    job.scan_id)
        if self._on_no_passage is not None:
            self._on_no_passage(job.scan_id)

    def _passed(self, sensor: PassageSensor) -> bool:
        deadline = time.monotonic() + self.passed_timeout
        while not self._stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if sensor.wait(min(left, _WAIT_SLICE)):
                return True
        return False
