"""Where the operator's files usually are."""

from __future__ import annotations

from pathlib import Path


def usb_dir(media: Path = Path("/media")) -> Path:
    """The first mounted USB stick (Raspberry Pi OS mounts them at /media/USER/NAME), else home."""
    sticks = sorted(p for p in media.glob("*/*") if p.is_dir()) if media.is_dir() else []
    return sticks[0] if sticks else Path.home()
