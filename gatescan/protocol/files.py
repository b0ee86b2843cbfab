"""Atomic file writes: a reader sees the old file or the new one, never half of either.

Every file the gate or the server replaces (credentials, settings, manifests,
exports on a USB stick) goes through here: the data goes to a temporary file in
the same directory, which is fsynced, renamed over the target, and the directory
fsynced, so a power cut leaves the old file or the complete new one. A failure
before the rename removes the temporary file and leaves the old file as it was.
"""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

PRIVATE = 0o600
# fsync of a directory is not supported everywhere (some FUSE and network file systems).
_NO_DIR_FSYNC = frozenset({errno.EINVAL, errno.ENOTSUP, errno.EBADF, errno.EISDIR})


@contextmanager
def atomic_writer(path: Path | str, *, mode: int | None = PRIVATE) -> Iterator[BinaryIO]:
    """Write `path` atomically through the yielded binary file (for streamed writes).

    `mode` is set exactly (the umask does not narrow it, and it is set before any
    data is written); None leaves the file system's default (a USB stick's FAT has
    no Unix modes). An exception inside the block leaves the old file intact.
    """
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                 0o666 if mode is None else mode & 0o777)
    try:
        with os.fdopen(fd, "wb", buffering=1 << 16) as out:  # manifests are written by line
            if mode is not None:
                os.fchmod(out.fileno(), mode)
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_directory(target.parent)


def atomic_write(path: Path | str, data: bytes, *, mode: int | None = PRIVATE) -> None:
    """Replace `path` with `data` atomically (file fsync, rename, directory fsync, `mode`)."""
    with atomic_writer(path, mode=mode) as out:
        out.write(data)


def fsync_directory(directory: Path) -> None:
    """Make a rename in `directory` durable; a no-op where the file system cannot."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in _NO_DIR_FSYNC:
            raise
    finally:
        os.close(fd)
