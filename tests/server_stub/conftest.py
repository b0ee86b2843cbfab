"""Fixtures for issuer tests: one shared demo data directory for read-only tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.server_stub.helpers import T0, cli_json


@pytest.fixture(scope="module")
def shared_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A demo made at T0 with 24 tickets; tests must not change it."""
    data = tmp_path_factory.mktemp("demo")
    return data, cli_json(data, "demo", "--tickets", "24", "--at", str(T0))
