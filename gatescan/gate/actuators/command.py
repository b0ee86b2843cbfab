"""A command that opens the door (a vendor tool, `curl` to a networked controller...).

Run without a shell, as the argument list the setting names, with a timeout.
It gets the pulse length as `GATESCAN_PULSE_MS` in its environment and is
expected to hold the contact that long itself.
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Sequence

from gatescan.gate.actuators.base import ActuatorError

log = logging.getLogger(__name__)

EXTRA_SECONDS = 5.0  # how long past the pulse a command may take before it is killed


class CommandRelay:
    """Runs `argv` once per pulse."""

    def __init__(self, argv: Sequence[str], *, timeout: float | None = None) -> None:
        if not argv or not argv[0]:
            raise ValueError("the relay command is empty")
        self.argv = tuple(argv)
        self.timeout = timeout

    def pulse(self, ms: int) -> None:
        """Run the command; raises `ActuatorError` if it fails, cannot start or hangs."""
        env = {**os.environ, "GATESCAN_PULSE_MS": str(ms)}
        limit = self.timeout if self.timeout is not None else ms / 1000 + EXTRA_SECONDS
        try:
            done = subprocess.run(self.argv, env=env, stdin=subprocess.DEVNULL,
                                  capture_output=True, timeout=limit, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ActuatorError("timeout", f"relay command took over {limit:.0f} s") from exc
        except OSError as exc:
            raise ActuatorError("unavailable", f"relay command cannot start: {exc}") from exc
        if done.returncode != 0:
            tail = done.stderr.decode("utf-8", "replace").strip()[-200:]
            raise ActuatorError("command_failed",
                                f"relay command exited with {done.returncode}: {tail}")

    def close(self) -> None:
        """Nothing to release."""
