"""Fixtures for ledger tests: real keys, real signed manifests, real SQLite files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gatescan.gate.ledger.ledger import Ledger
from tests.factories import Issuer
from tests.gate.ledger.util import TICKETS


@pytest.fixture
def issuer() -> Issuer:
    """The test event's issuer (seeded Ed25519 key)."""
    return Issuer()


@pytest.fixture
def manifest(tmp_path: Path, issuer: Issuer) -> Path:
    """A signed sequence-1 manifest with the standard test tickets and one refund."""
    return issuer.write_manifest(tmp_path / "event-1.manifest", TICKETS,
                                 revocations=[(0x2002, None, "refunded")])


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    """An empty ledger file."""
    with Ledger(tmp_path / "ledger.db") as led:
        yield led


@pytest.fixture
def loaded(ledger: Ledger, manifest: Path) -> Ledger:
    """A ledger with the standard manifest imported."""
    ledger.import_manifest(manifest)
    return ledger
