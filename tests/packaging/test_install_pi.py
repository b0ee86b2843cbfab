"""packaging/install-pi.sh end to end on this Debian machine (standing in for a Pi).

Opt-in: it installs system packages, a `gatescan` user, /opt/gatescan and
/var/lib/gatescan for real. Run as root with GATESCAN_TEST_INSTALL_PI=1:

    GATESCAN_TEST_INSTALL_PI=1 pytest tests/packaging/test_install_pi.py
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.factories import Issuer

ROOT = Path(__file__).resolve().parents[2]
APP, DATA, USER = Path("/opt/gatescan"), Path("/var/lib/gatescan"), "gatescan"

pytestmark = pytest.mark.skipif(
    os.environ.get("GATESCAN_TEST_INSTALL_PI") != "1" or os.geteuid() != 0,
    reason="opt-in: set GATESCAN_TEST_INSTALL_PI=1 and run as root (it installs for real)")


def _as_gate(*argv: str) -> list[str]:
    """*argv* as the kiosk user, with the environment the unit gives it (Qt offscreen)."""
    env = ["env", "-i", "PATH=/usr/bin:/bin", "LANG=C.UTF-8", f"GATESCAN_DATA={DATA}",
           "QT_QPA_PLATFORM=offscreen", f"HOME=/home/{USER}"]
    return ["runuser", "-u", USER, "--", *env, *argv]


def test_install_pi_installs_a_gate_that_starts(tmp_path: Path) -> None:
    issuer = Issuer()
    manifest = issuer.write_manifest(tmp_path / "event.gsm", [(0x1001, 1, 0, None)])
    fingerprint = hashlib.sha256(issuer.public).hexdigest()  # the first import is pinned
    out = subprocess.run([str(ROOT / "packaging" / "install-pi.sh"), "--manifest", str(manifest),
                          "--expect-key", fingerprint],
                         capture_output=True, text=True, timeout=1800, check=False)
    assert out.returncode == 0, out.stderr[-4000:]
    wants = Path("/etc/systemd/system/graphical.target.wants/gatescan-kiosk.service")
    assert wants.is_symlink() and (APP / "packaging" / "gatescan-kiosk").stat().st_mode & 0o111
    assert (DATA / "ledger.db").stat().st_uid == int(
        subprocess.check_output(["id", "-u", USER], text=True))
    helped = subprocess.run(_as_gate(str(APP / ".venv/bin/gatescan"), "--help"),
                            capture_output=True, text=True, timeout=120, check=False)
    assert helped.returncode == 0 and "run" in helped.stdout, helped.stderr
    # the [gate] extra only: none of the server's dependencies on a turnstile
    probe = ("import importlib.util as u; print(','.join(m for m in ('fastapi', 'uvicorn', "
             "'sqlalchemy', 'psycopg', 'jinja2') if u.find_spec(m)))")
    found = subprocess.run([str(APP / ".venv/bin/python"), "-c", probe], capture_output=True,
                           text=True, check=True)
    assert found.stdout.strip() == "", found.stdout
    app = subprocess.Popen(_as_gate(str(APP / ".venv/bin/gatescan"), "run", "--no-sound"),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           start_new_session=True)
    try:
        time.sleep(8)  # a crash at start-up (imports, Qt plugins, data dir) shows by then
        assert app.poll() is None, app.communicate(timeout=10)[0]
    finally:
        if app.poll() is None:
            os.killpg(app.pid, signal.SIGTERM)
        app.communicate(timeout=30)  # reaps it and closes the pipe
