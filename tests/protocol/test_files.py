"""`atomic_write`: the old file or the whole new one, with the mode asked for."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from gatescan.protocol import files
from gatescan.protocol.files import atomic_write, atomic_writer


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_writes_the_data_owner_only_by_default(tmp_path: Path) -> None:
    path = tmp_path / "secret.json"
    atomic_write(path, b'{"token": 1}')
    assert path.read_bytes() == b'{"token": 1}' and mode_of(path) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret.json"]  # no temp file left


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o644, 0o400])
def test_the_mode_given_is_applied_exactly_whatever_the_umask(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"old")
    os.chmod(path, 0o666)  # a loose old file does not lend its mode
    old = os.umask(0o077)
    try:
        atomic_write(path, b"new", mode=mode)
    finally:
        os.umask(old)
    assert path.read_bytes() == b"new" and mode_of(path) == mode


def test_mode_none_leaves_the_file_systems_default(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        atomic_write(tmp_path / "export.csv", b"a,b\n", mode=None)
    finally:
        os.umask(old)
    assert mode_of(tmp_path / "export.csv") == 0o640


def test_a_failure_while_writing_leaves_the_old_file_intact(tmp_path: Path) -> None:
    path = tmp_path / "manifest.gsm"
    atomic_write(path, b"version 1", mode=0o644)
    with pytest.raises(RuntimeError), atomic_writer(path) as out:
        out.write(b"version 2, half writ")
        raise RuntimeError("disk pulled")
    assert path.read_bytes() == b"version 1" and mode_of(path) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.gsm"]


def test_a_failed_rename_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()  # a directory cannot be replaced by a file
    (target / "inside").write_bytes(b"kept")
    with pytest.raises(OSError):
        atomic_write(target, b"new")
    assert (target / "inside").read_bytes() == b"kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


def test_a_missing_directory_is_an_oserror(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        atomic_write(tmp_path / "no such dir" / "f", b"x")


def test_the_file_and_its_directory_are_fsynced(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append("dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real_fsync(fd)

    monkeypatch.setattr(files.os, "fsync", fsync)
    atomic_write(tmp_path / "f", b"x")
    assert synced == ["file", "dir"]
