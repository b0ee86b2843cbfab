"""gatescan.gate.camera stays free of Qt and loads decoder libraries only when asked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[3]


def test_camera_package_imports_no_qt_and_no_decoder_lib() -> None:
    code = (
        "import sys, gatescan.gate.camera, gatescan.gate.camera.commands, gatescan.demo.synth\n"
        "print(','.join(sorted(m for m in sys.modules\n"
        "                      if m.split('.')[0] in {'PySide6', 'pyzbar', 'zxingcpp'})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == ""
