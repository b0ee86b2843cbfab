"""Fixtures for the camera tests: the shared photo set, real tokens, thread hygiene."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.factories import Issuer

SAMPLES = Path(__file__).parents[3].parent / "shared" / "samples" / "qr-photos"
POSITIVE_SETS = ("qrcode-1", "qrcode-3", "qrcode-5")


def photo_cases(folder: str) -> list[tuple[Path, str]]:
    """(image path, exact expected text) for every photo in one sample folder."""
    root = SAMPLES / folder
    if not root.is_dir():
        pytest.fail(f"sample photos missing: {root} (CI keeps ../shared beside the clone)")
    cases = []
    for image in sorted(root.iterdir()):
        if image.suffix == ".txt":
            continue
        expected = image.with_suffix(".txt")
        # bytes, not text mode: several expected texts hold CR LF line ends
        text = expected.read_bytes().decode("utf-8") if expected.exists() else ""
        cases.append((image, text))
    return cases


@pytest.fixture
def issuer() -> Issuer:
    """The test event's issuer with its real Ed25519 key."""
    return Issuer()


@pytest.fixture(autouse=True)
def no_dangling_pipeline_threads() -> Iterator[None]:
    """Fail a test that leaves a capture or decode thread running."""
    yield
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        alive = [t.name for t in threading.enumerate() if t.name.startswith("gatescan-")]
        if not alive:
            return
        time.sleep(0.05)
    pytest.fail(f"pipeline threads left running: {alive}")
