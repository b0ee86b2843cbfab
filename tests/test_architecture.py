"""Layering contracts: the core packages never pull in Qt or OpenCV."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


@pytest.mark.parametrize("module", ["scanner.verify.verifier", "scanner.ledger.manifest",
                                    "scanner.verify.token"])
def test_core_modules_import_without_qt_or_opencv(module: str) -> None:
    """Import in a fresh interpreter and check what got loaded (catches indirect imports)."""
    code = (
        f"import sys, {module}\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'PySide6', 'cv2'})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == ""


def test_import_linter_contracts_hold() -> None:
    lint = Path(sys.executable).parent / "lint-imports"
    assert lint.exists(), "import-linter is a dev dependency: packaging/setup.sh installs it"
    out = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
