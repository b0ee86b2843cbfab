"""Turning a camera choice into a frame source, and listing the cameras to offer."""

from __future__ import annotations

from pathlib import Path

from gatescan.gate.camera.file_source import FileSource
from gatescan.gate.camera.frames import FrameSource
from gatescan.gate.camera.opencv_source import (
    CameraSettings,
    OpenCVSource,
    list_cameras,
    parse_source_spec,
)
from gatescan.gate.camera.profile import DEFAULT_PROFILE, ProfileName


def make_source(spec: str, *, loop: bool = False,
                profile: ProfileName = DEFAULT_PROFILE) -> FrameSource:
    """A `FileSource` for an existing file or folder, else a live `OpenCVSource`.

    `profile` is the camera profile a live camera gets (gatescan.gate.camera.profile).
    """
    parsed = parse_source_spec(spec)
    if parsed.kind == "file" and Path(str(parsed.target)).exists():
        return FileSource(Path(str(parsed.target)), loop=loop)
    return OpenCVSource(parsed, CameraSettings(profile=profile))


def camera_choices(current: str | None) -> list[tuple[str, str]]:
    """(spec, label) of the cameras present, plus the current choice if it is not one."""
    choices = [(str(c.index), f"{c.name} ({c.path})") for c in list_cameras()]
    if not choices:
        choices = [("0", "Camera 0")]
    if current is not None and current not in {spec for spec, _ in choices}:
        choices.insert(0, (current, current))
    return choices
