"""Layering contracts: the four rooms, and the core never pulls in Qt or OpenCV."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


@pytest.mark.parametrize("module", ["gatescan.gate.verify.verifier",
                                    "gatescan.protocol.manifest", "gatescan.protocol.token"])
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


GATE_ONLY = ("PySide6", "cv2", "numpy", "zxingcpp", "pyzbar", "httpx", "gpiozero", "serial")
SERVER_ONLY = ("fastapi", "starlette", "uvicorn", "sqlalchemy", "psycopg", "jinja2", "argon2",
               "segno")


@pytest.mark.parametrize(("modules", "forbidden"), [
    # what `gatescan-server serve` loads: the app, every route, the CLI
    (["gatescan.server.cli", "gatescan.server.api.app"], GATE_ONLY),
    # what the gate loads: its CLI, the window, sync, the ledger
    (["gatescan.gate.cli", "gatescan.gate.ui.app", "gatescan.gate.sync.engine",
      "gatescan.gate.ui.run"], SERVER_ONLY),
])
def test_each_side_runs_without_the_other_sides_dependencies(modules: list[str],
                                                             forbidden: tuple[str, ...]) -> None:
    """At run time, not only statically: building the app loads none of the other extra."""
    code = f"import sys, tempfile, pathlib, {', '.join(modules)}\n"
    if "gatescan.server.api.app" in modules:
        code += ("from gatescan.server.settings import load_settings\n"
                 "gatescan.server.api.app.create_app("
                 "load_settings(pathlib.Path(tempfile.mkdtemp())))\n")
    code += (f"bad = sorted({{m.split('.')[0] for m in sys.modules}} & {set(forbidden)!r})\n"
             "print(','.join(bad))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == ""
