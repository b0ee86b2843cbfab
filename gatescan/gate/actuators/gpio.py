"""Raspberry Pi GPIO: a relay module on an output pin, a turnstile's "passed" contact on an input.

Through gpiozero, which picks the pin library of the machine (lgpio on a
Raspberry Pi OS / Debian bookworm Pi); tests set `Device.pin_factory =
MockFactory()`. Pin numbers are BCM (GPIO17 is physical pin 11).
"""

from __future__ import annotations

import logging
import threading
import time

from gatescan.gate.actuators.base import ActuatorError

log = logging.getLogger(__name__)


def _gpio_errors() -> tuple[type[Exception], ...]:
    """What opening a pin raises when the machine has no usable GPIO: gpiozero's own errors,
    a pin library that is not installed (a factory named in GPIOZERO_PIN_FACTORY), no
    permission on /dev/gpiochip*, and lgpio's error type when lgpio is there."""
    from gpiozero import GPIOZeroError

    errors: list[type[Exception]] = [GPIOZeroError, ImportError, OSError]
    try:
        import lgpio

        errors.append(lgpio.error)
    except ImportError:
        pass
    return tuple(errors)


class GpioRelay:
    """A relay module's IN on a GPIO pin: the pin is driven active for each pulse."""

    def __init__(self, pin: int, *, active_high: bool = True) -> None:
        from gpiozero import DigitalOutputDevice

        try:
            self._device = DigitalOutputDevice(pin, active_high=active_high,
                                               initial_value=False)
        except _gpio_errors() as exc:
            raise ActuatorError("unavailable", f"GPIO{pin} cannot drive the relay: {exc}") \
                from exc
        self.pin = pin
        self._lock = threading.Lock()

    def pulse(self, ms: int) -> None:
        """Drive the pin active for `ms` milliseconds (always inactive again afterwards)."""
        with self._lock:
            try:
                self._device.on()
                time.sleep(ms / 1000)
            finally:
                self._device.off()

    def close(self) -> None:
        """Release the pin (inactive)."""
        with self._lock:
            self._device.off()
            self._device.close()


class GpioPassageSensor:
    """A dry contact between a GPIO pin and GND (internal pull-up): closed means "passed"."""

    def __init__(self, pin: int, *, bounce_ms: int = 50) -> None:
        from gpiozero import Button

        try:
            self._button = Button(pin, pull_up=True, bounce_time=bounce_ms / 1000)
        except _gpio_errors() as exc:
            raise ActuatorError("unavailable", f"GPIO{pin} cannot read the passage sensor: "
                                f"{exc}") from exc
        self.pin = pin
        self._passed = threading.Event()
        self._button.when_pressed = self._on_press

    def _on_press(self) -> None:
        self._passed.set()

    def arm(self) -> None:
        """Forget passages seen so far."""
        self._passed.clear()

    def wait(self, timeout: float) -> bool:
        """True once the contact closed since `arm`, False after `timeout` seconds."""
        return self._passed.wait(timeout)

    def close(self) -> None:
        """Release the pin."""
        self._button.when_pressed = None
        self._button.close()
