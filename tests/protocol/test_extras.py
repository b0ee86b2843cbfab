"""A console script run on an install without its extra says which one, exit 2."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gatescan.protocol.extras import explain, missing_extra


@pytest.mark.parametrize(("name", "extra"), [("cv2", "gate"), ("PySide6.QtCore", "gate"),
                                             ("sqlalchemy.engine", "server"),
                                             ("fastapi", "server"), ("tomli_w", None)])
def test_the_extra_is_named_from_the_missing_module(name: str, extra: str | None) -> None:
    assert missing_extra(ModuleNotFoundError(f"No module named {name!r}", name=name)) == extra


def test_a_missing_extra_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        explain(ModuleNotFoundError("No module named 'cv2'", name="cv2"), "gatescan")
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and 'pip install "gatescan[gate]"' in err


def test_a_bug_is_not_hidden_as_a_missing_extra() -> None:
    with pytest.raises(ModuleNotFoundError):
        explain(ModuleNotFoundError("No module named 'gatescan.nope'", name="gatescan.nope"),
                "gatescan")


def test_the_server_command_on_a_gate_only_install(tmp_path: object) -> None:
    """Hide SQLAlchemy from the interpreter (as a [gate] install lacks it): one sentence."""
    code = ("import sys; sys.modules['sqlalchemy'] = None\n"
            "from gatescan.server.entry import main; main()\n")
    out = subprocess.run([sys.executable, "-c", code, "--help"], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2, out.stderr
    assert 'pip install "gatescan[server]"' in out.stderr and "Traceback" not in out.stderr
