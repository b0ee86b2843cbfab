"""The installed `gatescan-server` console script, run as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gatescan.protocol.verdict import Outcome
from tests.server.helpers import T0, ManifestView

SCRIPT = Path(sys.executable).parent / "gatescan-server"
DEMO_SCRIPT = Path(sys.executable).parent / "gatescan-demo"


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    if not SCRIPT.exists():
        pytest.fail(f"{SCRIPT} is missing: install the package (pip install -e .)")
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


def _demo(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`gatescan-demo ARGS`: the demo event and its simulated phones."""
    return subprocess.run([str(DEMO_SCRIPT), *args], capture_output=True, text=True,
                          timeout=60, env={**os.environ, **(env or {})})


def test_console_script_demo_token_and_usage_error(tmp_path: Path) -> None:
    env = {"GATESCAN_SERVER_DATA": str(tmp_path)}
    demo = _demo("event", "--tickets", "8", "--at", str(T0), "--json", env=env)
    assert demo.returncode == 0, demo.stderr
    report = json.loads(demo.stdout)
    assert Path(report["manifest"]).parent == tmp_path / "manifests"
    token = _demo("token", report["special"]["vip"], "--at", str(T0 + 1), env=env)
    assert token.returncode == 0, token.stderr
    view = ManifestView.load(Path(report["manifest"]))
    assert view.scan(token.stdout.strip(), T0 + 1, "VIP Gate").outcome is Outcome.ADMITTED
    bad = _demo("--data", str(tmp_path), "token", "not-hex!", env=env)
    assert bad.returncode == 2
    assert "not a ticket id" in bad.stderr and "Traceback" not in bad.stderr


def test_importing_the_cli_does_no_work_and_no_qt(tmp_path: Path) -> None:
    code = ("import sys, gatescan.server.cli\n"
            "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in "
            "{'PySide6', 'cv2'})))\n")
    env = {**os.environ, "GATESCAN_SERVER_DATA": str(tmp_path / "untouched")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env, cwd=Path(__file__).parents[2])
    assert out.stdout.strip() == ""
    assert not (tmp_path / "untouched").exists()


def test_repeating_a_revocation_changes_nothing_and_says_so(tmp_path: Path) -> None:
    env = {"GATESCAN_SERVER_DATA": str(tmp_path)}
    demo = _demo("event", "--tickets", "8", "--at", str(T0), "--json", env=env)
    report = json.loads(demo.stdout)
    vip = report["special"]["vip"]
    first = json.loads(_run("revoke", vip, "--json", env=env).stdout)
    manifest = Path(report["manifest"]).read_bytes()
    second = _run("revoke", vip, "--json", env=env)
    assert second.returncode == 0, second.stderr
    again = json.loads(second.stdout)
    assert first["changed"] is True and again["changed"] is False and again["already_revoked"]
    assert again["manifest_sequence"] == first["manifest_sequence"]
    assert Path(report["manifest"]).read_bytes() == manifest
    text = _run("revoke", vip, env=env).stdout
    assert "Already revoked" in text and "Nothing changed" in text


def test_errors_name_the_database_or_the_file_that_failed(tmp_path: Path) -> None:
    env = {"GATESCAN_SERVER_DATA": str(tmp_path / "data")}
    bad_db = _demo("--database-url", "sqlite+pysqlite:////proc/no-such-dir/issuer.db", "event",
                  env=env)
    assert bad_db.returncode == 2
    assert "/proc/no-such-dir/issuer.db" in bad_db.stderr
    assert str(tmp_path / "data") not in bad_db.stderr
    assert _demo("event", "--tickets", "8", "--at", str(T0), env=env).returncode == 0
    bad_out = _run("manifest", "--out", "/proc/gatescan-test.gsm", env=env)
    assert bad_out.returncode == 2
    assert "cannot write /proc/gatescan-test.gsm" in bad_out.stderr
    assert "Traceback" not in bad_out.stderr + bad_db.stderr


def test_a_failing_database_url_is_named_without_its_password(tmp_path: Path) -> None:
    from sqlalchemy.exc import OperationalError

    from gatescan.server.cli_common import _what_failed
    from gatescan.server.settings import load_settings

    settings = load_settings(tmp_path, database_url="postgresql+psycopg://gate:s3cret@db/x")
    named = _what_failed(settings, OperationalError("connect", {}, Exception("refused")))
    assert named == "the database postgresql+psycopg://gate:***@db/x"


def test_a_long_demo_shows_a_progress_bar_on_a_terminal_only(tmp_path: Path) -> None:
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    # A real terminal has a size (a fresh pseudo-terminal is 0×0, where tqdm draws nothing).
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    args = [str(DEMO_SCRIPT), "--data", str(tmp_path / "tty"), "event", "--tickets", "20000",
            "--at", str(T0)]
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=slave, text=True) as proc:
        os.close(slave)
        seen = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        stdout, _ = proc.communicate(timeout=120)
    os.close(master)
    assert proc.returncode == 0
    assert b"issuing tickets" in seen and b"/20000" in seen
    assert "issuing tickets" not in stdout
    piped = _demo("--data", str(tmp_path / "pipe"), "event", "--tickets", "8", "--at", str(T0))
    assert piped.returncode == 0 and "issuing tickets" not in piped.stderr
