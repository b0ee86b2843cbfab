"""Fixtures for issuer and server tests: backends (SQLite, PostgreSQL), stores, live servers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gatescan.server import admins
from gatescan.server.settings import ServerSettings, load_settings
from gatescan.server.store import IssuerStore
from tests.server.backends import BACKENDS, database_url
from tests.server.client import Organizer
from tests.server.helpers import T0, demo_json
from tests.server.live import serving


@pytest.fixture(scope="module")
def shared_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A demo made at T0 with 24 tickets; tests must not change it."""
    data = tmp_path_factory.mktemp("demo")
    return data, demo_json(data, "event", "--tickets", "24", "--at", str(T0))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each test using it runs once on SQLite and once on PostgreSQL."""
    return str(request.param)


@pytest.fixture
def settings(tmp_path: Path, backend: str) -> Iterator[ServerSettings]:
    """Settings on a fresh data directory and a fresh database of the backend."""
    with database_url(backend) as url:
        yield load_settings(tmp_path / "data", {}, database_url=url)


@pytest.fixture
def store(settings: ServerSettings) -> Iterator[IssuerStore]:
    """The store of `settings`, open."""
    with IssuerStore.open(settings) as s:
        yield s


@pytest.fixture
def admin_token(store: IssuerStore) -> str:
    """A fresh admin token."""
    return admins.create_admin_token(store, "tests", now=time.time())[1]


@pytest.fixture
def server(settings: ServerSettings, store: IssuerStore) -> Iterator[str]:
    """A real uvicorn server on a loopback port, sharing `store`; yields its base URL."""
    with serving(settings, store) as url:
        yield url


@pytest.fixture
def org(server: str, admin_token: str) -> Iterator[Organizer]:
    """An organizer client (admin token) of the live server."""
    with Organizer(server, admin_token) as client:
        yield client
