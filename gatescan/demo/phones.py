"""The simulated wallet: the demo attendees' phones, kept apart from the issuer's data.

A real phone generates its holder key, registers only the public half, stores
the signed credential it gets back and signs the current time step every
period. This module plays that part for demo tickets, in its own SQLite file
(`wallet.db`), so the issuer database never holds a holder's private key.
After a transfer the old phone keeps its (now superseded) credential, which is
what a gate must refuse.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nacl.signing import SigningKey

from gatescan.protocol.token import build_token, step_for
from gatescan.server.db import immediate, open_database
from gatescan.server.entropy import Entropy, new_signing_key

log = logging.getLogger(__name__)

CURRENT = "current"
SUPERSEDED = "superseded"


@dataclass(frozen=True, slots=True)
class WalletEntry:
    """One credential held by one simulated phone."""

    ticket_id: int
    serial: int
    state: str
    signed_credential: bytes
    holder: SigningKey = field(repr=False)

    def token(self, at: float, period: int) -> str:
        """The code this phone shows at unix time `at` for a rotation `period`."""
        return build_token(self.signed_credential, self.holder, step_for(at, period))


class Wallet:
    """All simulated phones of a data directory, in one SQLite file (WAL)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = open_database(path)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS credentials (ticket_id INTEGER, serial INTEGER,"
            " state TEXT NOT NULL, holder_seed BLOB NOT NULL, signed_credential BLOB NOT NULL,"
            " PRIMARY KEY (ticket_id, serial))")

    def close(self) -> None:
        """Close the database connection."""
        self.db.close()

    def __enter__(self) -> Wallet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def new_holder(entropy: Entropy) -> SigningKey:
        """A phone generating its own holder key (only the public half goes to the issuer)."""
        return new_signing_key(entropy)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction on the wallet file."""
        with immediate(self.db):
            yield

    def add(self, entries: Iterable[tuple[int, int, SigningKey, bytes]]) -> None:
        """Store credentials (ticket_id, serial, holder key, signed credential) as current."""
        with self.transaction():
            self.db.executemany(
                "INSERT INTO credentials (ticket_id, serial, state, holder_seed,"
                " signed_credential) VALUES (?, ?, ?, ?, ?)",
                ((tid, serial, CURRENT, bytes(holder), signed)
                 for tid, serial, holder, signed in entries))

    def replace(self, ticket_id: int, serial: int, holder: SigningKey, signed: bytes) -> None:
        """A transfer: earlier credentials of the ticket become superseded, this one current."""
        with self.transaction():
            self.db.execute("UPDATE credentials SET state = ? WHERE ticket_id = ?",
                            [SUPERSEDED, ticket_id])
            self.add([(ticket_id, serial, holder, signed)])

    def entries(self, ticket_id: int) -> list[WalletEntry]:
        """Every credential of the ticket held by any simulated phone, lowest serial first."""
        rows = self.db.execute(
            "SELECT ticket_id, serial, state, signed_credential, holder_seed FROM credentials"
            " WHERE ticket_id = ? ORDER BY serial", [ticket_id]).fetchall()
        return [_entry(r) for r in rows]

    def current(self, ticket_id: int) -> WalletEntry | None:
        """The ticket's current credential, or None if no simulated phone holds it."""
        found = [e for e in self.entries(ticket_id) if e.state == CURRENT]
        return found[-1] if found else None

    def previous(self, ticket_id: int) -> WalletEntry | None:
        """The most recent superseded credential (the pre-transfer phone), or None."""
        found = [e for e in self.entries(ticket_id) if e.state == SUPERSEDED]
        return found[-1] if found else None


def _entry(row: Any) -> WalletEntry:
    return WalletEntry(row[0], row[1], row[2], bytes(row[3]), SigningKey(bytes(row[4])))
