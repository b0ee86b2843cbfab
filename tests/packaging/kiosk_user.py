"""Run commands as the kiosk's non-root user, with directories that user owns.

As root (CI here) the kiosk user is `nobody`, as on a Pi the unit's `User=gatescan`;
as anyone else it is the current user. Nothing here changes the system's users.
"""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def kiosk_user() -> str:
    """The non-root user the kiosk runs as in the tests."""
    return "nobody" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name


def as_user(argv: Sequence[str], env: Mapping[str, str]) -> list[str]:
    """*argv* run as `kiosk_user()` with exactly *env* (no variable of ours leaks in)."""
    pairs = [f"{k}={v}" for k, v in env.items()]
    prefix = ["runuser", "-u", kiosk_user(), "--"] if os.geteuid() == 0 else []
    return [*prefix, "env", "-i", *pairs, *argv]


def give_to_user(path: Path) -> None:
    """Make *path* (and everything under it) the kiosk user's."""
    if os.geteuid() != 0:
        return
    entry = pwd.getpwnam(kiosk_user())
    for dirpath, _dirs, files in os.walk(path):
        os.chown(dirpath, entry.pw_uid, entry.pw_gid)
        for name in files:
            os.chown(os.path.join(dirpath, name), entry.pw_uid, entry.pw_gid)


def base_env(home: Path) -> dict[str, str]:
    """A minimal login-like environment for the kiosk user, the repository on the path."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
            "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}


def kiosk_venv() -> tuple[Path | None, str]:
    """A virtual environment the kiosk user can run the gate from, or None and why not.

    `GATESCAN_KIOSK_VENV` (packaging/setup.sh sets it to the Pi-like venv, built on
    the system Python) wins; else the venv running the tests, if the user can use it.
    """
    candidates = [Path(p) for p in [os.environ.get("GATESCAN_KIOSK_VENV", "")] if p]
    candidates.append(Path(sys.prefix))
    tried = []
    for venv in candidates:
        python = venv / "bin" / "python"
        probe = subprocess.run(
            as_user([str(python), "-c", "import PySide6.QtGui, gatescan.gate.ui.run"],
                    base_env(Path("/tmp"))),
            capture_output=True, text=True, timeout=120, check=False)
        if probe.returncode == 0:
            return venv, ""
        tried.append(f"{venv}: {probe.stderr.strip().splitlines()[-1:]}")
    return None, (f"no virtual environment that user {kiosk_user()!r} can run the gate from "
                  f"(tried {'; '.join(tried)}); packaging/setup.sh test sets "
                  f"GATESCAN_KIOSK_VENV to one")
