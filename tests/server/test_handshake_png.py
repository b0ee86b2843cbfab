"""The enrollment QR code's PNG is owner-only, even over an older, looser file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from gatescan.server.handshake import write_png


def test_an_old_world_readable_png_is_replaced_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "qr" / "enroll.png"
    path.parent.mkdir()
    path.write_bytes(b"an older code")
    os.chmod(path, 0o644)  # defect: O_CREAT's 0600 never applied to an existing file
    write_png('{"type":"gatescan-enroll","v":1,"url":"http://h:1","code":"ABCD-EFGH"}', path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert [p.name for p in path.parent.iterdir()] == ["enroll.png"]
