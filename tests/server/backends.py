"""Test databases: a SQLite file, or a fresh schema on the PostgreSQL named by the environment.

`GATESCAN_TEST_PG_URL` names the server (`eval "$(packaging/postgres.sh start)"`).
Unset: the PostgreSQL tests skip, except under CI (`CI=true`), where they fail.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_ENV = "GATESCAN_TEST_PG_URL"
BACKENDS = ("sqlite", "postgresql")


def in_ci() -> bool:
    """True under CI, where a missing PostgreSQL is a failure, not a skip."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pg_base_url() -> str:
    """The test PostgreSQL URL; skips (or fails under CI) when it is missing or unreachable."""
    url = os.environ.get(PG_ENV, "").strip()
    if not url:
        reason = (f"{PG_ENV} is not set: run eval \"$(packaging/postgres.sh start)\" to test "
                  "against PostgreSQL")
        if in_ci():
            pytest.fail(reason + " (CI=true: PostgreSQL tests must run)", pytrace=False)
        pytest.skip(reason)
    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any driver failure means the same: no server to test on
        pytest.fail(f"{PG_ENV} is set but PostgreSQL is unreachable: {type(exc).__name__}",
                    pytrace=False)
    return url


@contextmanager
def pg_schema(base: str) -> Iterator[str]:
    """A URL whose connections use a fresh, empty schema (dropped afterwards)."""
    name = f"t_{secrets.token_hex(6)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {name}"))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={name}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {name} CASCADE"))
        admin.dispose()


@contextmanager
def database_url(backend: str) -> Iterator[str | None]:
    """None for SQLite (the data directory's file), else a fresh PostgreSQL schema URL."""
    if backend == "sqlite":
        yield None
        return
    with pg_schema(pg_base_url()) as url:
        yield url
