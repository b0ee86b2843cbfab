"""Is there a screen to open the gate window on? Asked before Qt starts, because Qt's own
answer to "no display" is to abort (exit 134) with advice to reinstall, which is wrong."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

HOW = ("run it in a desktop session, set QT_QPA_PLATFORM=offscreen to run it without a "
       "screen, or start the kiosk (packaging/gatescan-kiosk, which brings its own Wayland "
       "compositor)")
HOW_TO_RUN = f"there is no display to open the gate window on: {HOW}"
# Qt platforms that need no display server.
_STANDALONE = {"offscreen", "minimal", "eglfs", "linuxfb", "vnc", "vkkhrdisplay", "direct2d",
               "windows", "cocoa", "ios", "android"}


def _x_reachable(display: str) -> bool:
    """A local X display (":0", ":1.0") has its socket; a remote one is given the benefit of
    the doubt."""
    host, _, rest = display.partition(":")
    if host not in ("", "unix") or not rest:
        return bool(rest)
    number = rest.split(".")[0]
    return Path(f"/tmp/.X11-unix/X{number}").exists()


def _wayland_reachable(env: Mapping[str, str]) -> bool:
    name = env.get("WAYLAND_DISPLAY", "")
    if not name:
        return False
    path = Path(name) if name.startswith("/") else Path(env.get("XDG_RUNTIME_DIR", "/")) / name
    return path.exists()


def _platform_usable(name: str, env: Mapping[str, str]) -> bool:
    base = name.split(":")[0].strip().lower()
    if base in _STANDALONE:
        return True
    if base == "xcb":
        return _x_reachable(env.get("DISPLAY", ""))
    if base.startswith("wayland"):
        return _wayland_reachable(env)
    return True  # a platform we do not know: let Qt try it


def plugin_failed(platform: str) -> str:
    """The sentence for a platform plugin that Qt could not start."""
    return f"the {platform or 'default'} display could not be opened: {HOW}"


def display_problem(env: Mapping[str, str] | None = None,
                    platform: str = sys.platform) -> str | None:
    """Why the window cannot open here (one sentence), or None when it can."""
    env = os.environ if env is None else env
    if not platform.startswith("linux"):
        return None  # Windows and macOS always have their own platform plugin
    chosen = env.get("QT_QPA_PLATFORM", "").strip()
    if chosen:
        names = [n for n in chosen.split(";") if n.strip()]
        if any(_platform_usable(n, env) for n in names):
            return None
        return f"QT_QPA_PLATFORM={chosen} cannot be used here, and {HOW_TO_RUN}"
    if _wayland_reachable(env) or _x_reachable(env.get("DISPLAY", "")):
        return None
    return HOW_TO_RUN[0].upper() + HOW_TO_RUN[1:]
