"""scanner.camera stays free of Qt and loads decoder libraries only when asked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_camera_package_imports_no_qt_and_no_decoder_lib() -> None:
    code = (
        "import sys, scanner.camera, scanner.camera.commands, scanner.camera.synth\n"
        "print(','.join(sorted(m for m in sys.modules\n"
        "                      if m.split('.')[0] in {'PySide6', 'pyzbar', 'zxingcpp'})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == ""
