"""The actuators import on any machine (no Pi, no Qt): gpiozero included."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[3]


def test_actuators_import_without_qt_on_a_machine_without_gpio() -> None:
    code = (
        "import sys\n"
        "from gatescan.gate.actuators import door, spec, gpio, serial_relay, command\n"
        "import gpiozero, serial\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'PySide6', 'cv2'})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True, timeout=60)
    assert out.stdout.strip() == ""


def test_a_gpio_relay_without_gpio_hardware_is_a_clear_error() -> None:
    code = (
        "from gatescan.gate.actuators.base import ActuatorError\n"
        "from gatescan.gate.actuators.spec import open_relay, parse_relay\n"
        "try:\n"
        "    open_relay(parse_relay('gpio:17'))\n"
        "except ActuatorError as exc:\n"
        "    print(exc.code, exc.message)\n"
    )
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code], cwd=ROOT,
                         capture_output=True, text=True, timeout=60,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT),
                              "GPIOZERO_PIN_FACTORY": "lgpio"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("unavailable GPIO17 cannot drive the relay")
