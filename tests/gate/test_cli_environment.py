"""Every environment failure of `gatescan` is one line on stderr and exit 2, never a traceback.

Driven through the real console script in subprocesses, on real damaged files,
a read-only folder, a file-size limit (a full disk), a held write lock.
"""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import T0, Issuer

BIN = Path(sys.executable).parent



def _pin(issuer: Issuer) -> tuple[str, str]:
    """A first USB import names the issuer key it expects (the gate pins it)."""
    return "--expect-key", hashlib.sha256(issuer.public).hexdigest()

def gatescan(*args: str, limit_bytes: int | None = None,
             cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the console script; with `limit_bytes`, no file can grow past it (a full disk)."""
    def full_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails: EFBIG
        assert limit_bytes is not None
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return subprocess.run([str(BIN / "gatescan"), *args], capture_output=True, text=True,
                          timeout=60, preexec_fn=full_disk if limit_bytes else None, cwd=cwd)


def assert_environment_error(out: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit 2 and one line: the operator's message, with the given words in it."""
    assert "Traceback" not in out.stderr, out.stderr
    assert out.returncode == 2, (out.returncode, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    for word in words:
        assert word in lines[0], lines[0]


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """A folder nobody may write into, root included (`chattr +i`; chmod as a user)."""
    if os.geteuid() == 0:
        if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
            pytest.skip("this filesystem cannot make a folder immutable")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(0o500)
        try:
            yield
        finally:
            folder.chmod(0o700)


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with a loaded ledger, checkpointed (no WAL), and two scans."""
    base = tmp_path_factory.mktemp("gate")
    issuer = Issuer()
    manifest = issuer.write_manifest(base / "m.gsm", [(n, 1, 0, f"S{n}") for n in range(1, 400)])
    data = base / "data"
    assert gatescan("--data", str(data), "import-manifest", str(manifest),
                    *_pin(issuer)).returncode == 0
    for n in (1, 2):
        assert gatescan("--data", str(data), "check", issuer.issue(n).token(T0),
                        "--at", str(T0)).returncode == 0
    assert not (data / "ledger.db-wal").exists()
    return data


def _copy(gate: Path, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(gate, data)
    return data


def _root_page(db: Path, table: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?",
                                (table,)).fetchone()[0])
    finally:
        conn.close()


DAMAGED_FILES = 8  # hypothesis examples of the random-damage test
COMMANDS = [["status"], ["check", "anything", "--at", str(T0)], ["export-scans", "out.jsonl"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_damaged_schema_page(gate: Path, tmp_path: Path, command: list[str]) -> None:
    """Was: UnicodeDecodeError (SQLite quotes the damaged schema text in its message)."""
    data = _copy(gate, tmp_path)
    db = data / "ledger.db"
    raw = bytearray(db.read_bytes())
    at = raw.index(b"CREATE TABLE scans")
    raw[at + 20:at + 24] = b"\xd6\xff\xfe\xd6"
    db.write_bytes(bytes(raw))
    assert_environment_error(gatescan("--data", str(data), *command, cwd=tmp_path),
                             "damaged", "gatescan recover")


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_bad_btree_page(gate: Path, tmp_path: Path, command: list[str]) -> None:
    """Was: an uncaught LedgerError from `status` (a page of the scan log is garbage)."""
    data = _copy(gate, tmp_path)
    db = data / "ledger.db"
    page = _root_page(db, "scans")
    with open(db, "r+b") as f:
        f.seek((page - 1) * 4096)
        f.write(b"\x0d\x00\x00\xff\xff" + os.urandom(200))
    assert_environment_error(gatescan("--data", str(data), *command, cwd=tmp_path), "damaged")


def test_not_a_database(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "ledger.db").write_bytes(b"this is a spreadsheet, not a ledger\n" * 200)
    assert_environment_error(gatescan("--data", str(data), "status"), "damaged")


def test_export_into_a_read_only_folder(gate: Path, tmp_path: Path) -> None:
    """Was: OSError traceback, exit 1."""
    data = _copy(gate, tmp_path)
    folder = tmp_path / "usb"
    folder.mkdir()
    with read_only(folder):
        out = gatescan("--data", str(data), "export-scans", str(folder / "scans.jsonl"))
    assert_environment_error(out, "scans.jsonl")
    assert not list(folder.iterdir())


def test_export_from_a_read_only_data_folder(gate: Path, tmp_path: Path) -> None:
    """Was: OSError traceback, exit 1 (the device id file could not be created)."""
    data = _copy(gate, tmp_path)
    (data / "device.json").unlink()
    with read_only(data):
        out = gatescan("--data", str(data), "export-scans", str(tmp_path / "scans.jsonl"))
    assert_environment_error(out)


def test_a_data_folder_that_cannot_be_written(tmp_path: Path) -> None:
    issuer = Issuer()
    manifest = issuer.write_manifest(tmp_path / "m.gsm", [(1, 1, 0, None)])
    data = tmp_path / "data"
    data.mkdir()
    with read_only(data):
        out = gatescan("--data", str(data), "import-manifest", str(manifest), *_pin(issuer))
    assert_environment_error(out)


def test_a_full_disk_during_import(tmp_path: Path) -> None:
    issuer = Issuer()
    manifest = issuer.write_manifest(tmp_path / "m.gsm",
                                     [(n, 1, 0, f"Seat {n}") for n in range(1, 20_000)])
    data = tmp_path / "data"
    out = gatescan("--data", str(data), "import-manifest", str(manifest), *_pin(issuer),
                   limit_bytes=200_000)
    assert_environment_error(out, "disk")
    # Nothing half-imported: the ledger opens and has no event.
    status = gatescan("--data", str(data), "status", "--json")
    assert status.returncode == 0, status.stderr
    assert '"event": null' in status.stdout


def test_a_ledger_locked_by_another_process(gate: Path, tmp_path: Path) -> None:
    data = _copy(gate, tmp_path)
    holder = sqlite3.connect(data / "ledger.db", isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        out = gatescan("--data", str(data), "check", "anything", "--at", str(T0))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert_environment_error(out, "busy")


@settings(max_examples=DAMAGED_FILES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)),
                      min_size=1, max_size=4))
def test_random_damage_never_ends_in_a_traceback(
        gate: Path, tmp_path_factory: pytest.TempPathFactory,
        flips: list[tuple[float, int]]) -> None:
    """Bytes flipped anywhere in a real ledger: exit 0, 1 or 2 and never a traceback."""
    tmp = tmp_path_factory.mktemp("flip")
    data = _copy(gate, tmp)
    db = data / "ledger.db"
    raw = bytearray(db.read_bytes())
    for where, mask in flips:
        raw[int(where * len(raw))] ^= mask
    db.write_bytes(bytes(raw))
    for command in COMMANDS:
        out = gatescan("--data", str(data), *command, cwd=tmp)
        assert "Traceback" not in out.stderr, out.stderr
        assert out.returncode in (0, 1, 2), out.stderr
        if out.returncode == 2:
            assert len(out.stderr.strip().splitlines()) == 1, out.stderr
