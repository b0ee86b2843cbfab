"""Property-based fuzzing of every route in /openapi.json against a live server: never a 5xx.

Valid and invalid requests (schemathesis positive and negative modes), with
real admin and device tokens and real event, ticket and device ids filled into
paths, so the fuzzing reaches past authentication and lookups. Bounded: a few
dozen examples per operation (about a minute on the 2-core machine).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from gatescan.protocol.policy import Gate, TicketType
from gatescan.server import admins, devices, issuer
from gatescan.server.settings import ServerSettings, load_settings
from gatescan.server.store import IssuerStore
from tests.server.backends import BACKENDS, database_url
from tests.server.live import serving

EXAMPLES = {"sqlite": 20, "postgresql": 8}


@pytest.fixture(scope="module", params=BACKENDS)
def fuzz_target(request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A live server with an event, a ticket, and two devices (one enrolled)."""
    with database_url(request.param) as url:
        settings = load_settings(Path(tmp_path_factory.mktemp("fuzz")), {}, database_url=url)
        yield from _target(settings, request.param)


def _target(settings: ServerSettings, backend: str) -> Iterator[dict[str, Any]]:
    with IssuerStore.open(settings) as store:
        _, admin = admins.create_admin_token(store, "fuzz", now=time.time())
        event_id = issuer.create_event(store, "Fuzz", gates=[Gate("Gate 1")],
                                       ticket_types=[TicketType(1, "General")]).event_id
        ticket = issuer.issue_ticket(store, event_id, 1, bytes(32), 0, 10).ticket_id
        gate_dev = devices.add_device(store, event_id, "gate", "Gate 1", ttl=3600, now=time.time())
        _, device_token = devices.enroll(store, gate_dev.code, now=time.time())
        managed = devices.add_device(store, event_id, "managed", None, ttl=3600, now=time.time())
        with serving(settings, store) as base:
            yield {"url": base, "examples": EXAMPLES[backend], "admin": admin,
                   "device": device_token, "event_id": event_id,
                   "ticket_id": f"{ticket:016x}", "device_id": managed.device.device_id}


def _ndjson(_ctx: Any, value: Any) -> bytes:
    """How a client sends a scan import file: JSON Lines (or whatever text was generated)."""
    if isinstance(value, list):
        return b"\n".join(json.dumps(v).encode() for v in value)
    return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else \
        json.dumps(value).encode()


def _fill(case: Any, target: dict[str, Any]) -> None:
    # Mostly real ids, so requests reach the code behind the lookups; sometimes random ones.
    for name in ("event_id", "ticket_id", "device_id"):
        if case.path_parameters and name in case.path_parameters and \
                hash(str(case.path_parameters[name])) % 4:
            case.path_parameters[name] = target[name]


def _fuzz(operation: Any, mode: GenerationMode, token: str, target: dict[str, Any]) -> None:
    """Run one operation in one mode; raises on a 5xx (with the reproducing request)."""

    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis.settings(max_examples=target["examples"], deadline=None, derandomize=True,
                         database=None, suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        _fill(case, target)
        case.call_and_validate(base_url=target["url"],
                               headers={"Authorization": f"Bearer {token}"},
                               checks=[not_a_server_error])

    run()


@pytest.mark.slow
def test_no_server_errors(fuzz_target: dict[str, Any]) -> None:
    """Whatever the body, query or path, the answer is never a 5xx."""
    schemathesis.serializer("application/x-ndjson")(_ndjson)
    api = schemathesis.openapi.from_url(f"{fuzz_target['url']}/openapi.json")
    failures: list[str] = []
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 25
    for operation in operations:
        token = fuzz_target["device"] if operation.path.startswith("/api/v1/device/") else \
            fuzz_target["admin"]
        for mode in GenerationMode:
            try:
                _fuzz(operation, mode, token, fuzz_target)
            except Unsatisfiable:
                continue  # no parameters to make invalid (e.g. GET /api/v1/health)
            except Exception as exc:  # collect every operation's failure, then report
                failures.append(f"{operation.label} ({mode.value}): {exc}"[:2000])
    assert not failures, "\n\n".join(failures)
