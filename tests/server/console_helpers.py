"""Helpers for the console tests: accounts, signing in with httpx, the CSRF token of a page."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from gatescan.server.console import accounts, roles
from gatescan.server.store import IssuerStore

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')

TWO_GATES: dict[str, Any] = {
    "name": "Riverside Festival", "venue": "Riverside Park", "tz": "Europe/Berlin",
    "doors": "2026-07-01T17:00", "start": "2026-07-01T18:00", "end": "2026-07-01T23:30",
    "gate_name": ["North", "VIP door", ""], "gate_zone": ["main", "vip", ""],
    "type_id": ["", "", ""], "type_name": ["Early bird", "VIP", "Family (4)"],
    "type_zones": ["main", "vip", "main"], "type_gates": ["", "", "North"],
    "type_max": ["1", "1", "4"], "type_per_day": ["no", "no", "no"],
    "type_reentry": ["no", "yes", "no"], "type_slot_start": ["", "", ""],
    "type_slot_end": ["", "", ""], "type_inventory": ["2", "", ""],
}


def account(store: IssuerStore, email: str, role: roles.Role,
            event_id: int = roles.ALL_EVENTS) -> str:
    """A new account with one grant."""
    account_id = accounts.create_account(store, email, PASSWORD, now=time.time())
    roles.grant(store, account_id, role, event_id)
    return account_id


@contextmanager
def sign_in(server: str, email: str) -> Iterator[httpx.Client]:
    """An httpx client signed in to the console as `email`."""
    with httpx.Client(base_url=server) as client:
        r = client.post("/console/login", data={"email": email, "password": PASSWORD})
        assert r.status_code == 303, r.text
        yield client


def csrf_of(client: httpx.Client, path: str) -> str:
    """The CSRF token in the page at `path`."""
    found = CSRF.search(client.get(path).text)
    assert found is not None
    return found.group(1)
