"""packaging/check_wheels.py reads the gate's dependencies and the Pi targets' tags right.

The check itself (it asks the package index) runs in packaging/setup.sh test.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "packaging" / "check_wheels.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_wheels", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_gate_requirements_leave_out_the_server_and_follow_markers(tmp_path: Path) -> None:
    cw = _load()
    pyproject = SCRIPT.parent.parent / "pyproject.toml"
    bookworm = cw.gate_requirements(pyproject, "3.11")
    trixie = cw.gate_requirements(pyproject, "3.13")
    names = {r.split(">")[0].split("<")[0].split("=")[0].split("[")[0].lower() for r in bookworm}
    assert not names & {"fastapi", "uvicorn", "sqlalchemy", "psycopg", "jinja2", "segno"}
    assert {"pynacl", "opencv-python-headless", "zxing-cpp", "pyside6-essentials"} <= names
    assert [r for r in bookworm if "PySide6" in r] == ["PySide6-Essentials<6.12,>=6.6"]
    assert [r for r in trixie if "PySide6" in r] == ["PySide6-Essentials<6.12,>=6.6"]
    marked = tmp_path / "pyproject.toml"
    marked.write_text('[project]\nname = "x"\nversion = "0"\ndependencies = ["click"]\n'
                      '[project.optional-dependencies]\ngate = [\n'
                      '  "PySide6-Essentials>=6.6,<6.12; python_version < \'3.12\'",\n'
                      '  "PySide6-Essentials>=6.6; python_version >= \'3.12\'",\n]\n'
                      'server = ["fastapi>=0.1"]\n')
    assert cw.gate_requirements(marked, "3.11") == ["click", "PySide6-Essentials<6.12,>=6.6"]
    assert cw.gate_requirements(marked, "3.13") == ["click", "PySide6-Essentials>=6.6"]


def test_targets_accept_every_older_manylinux_tag() -> None:
    cw = _load()
    bookworm = next(t for t in cw.TARGETS if t.python == "3.11")
    tags = bookworm.platforms()
    assert tags[0] == "manylinux_2_36_aarch64" and "manylinux_2_37_aarch64" not in tags
    assert "manylinux_2_17_aarch64" in tags and tags[-1] == "manylinux2014_aarch64"
    cmd = cw.pip_download_command(bookworm, ["numpy"], Path("/tmp/x"))
    assert cmd.count("--platform") == len(tags) and "--only-binary=:all:" in cmd
    assert cmd[cmd.index("--abi"):cmd.index("--abi") + 2] == ["--abi", "cp311"]
