"""Manifest import: stream a signed manifest into the ledger in one all-or-nothing transaction.

Trust rules (docs/ledger.md, docs/manifest-format.md): a ledger that already
holds an event accepts a manifest for it only if the signer is one of the
event's stored keys and its sequence is not older than the stored one. The first
manifest is trusted on first use unless `expect_key` pins the signer (the sync
path always pins it to the fingerprints from enrollment). Records are
provisional until the trailer's signature checks out at the end of the stream;
any `ManifestError` rolls the whole transaction back, so the ledger is exactly
as before.

A manifest is merged, never trusted to move anything back (a server restored
from an older backup serves an older picture): a ticket's serial never goes
down, a revocation is never removed, and keys are added; a key leaves the
trusted set only when a manifest signed by another trusted key lists it in
`withdrawn_keys`.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from operator import itemgetter
from typing import IO

from gatescan.gate.ledger.lookup import name_key
from gatescan.gate.ledger.schema import CREDENTIAL_SQL
from gatescan.protocol.manifest import ManifestError, ManifestHeader, ManifestReader, TrustedKey
from gatescan.protocol.policy import EventPolicy

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int | None], None]  # (bytes done, total bytes or None)
Progress = bool | ProgressCallback

IMPORT_CACHE_KIB = 256 * 1024  # page cache while importing; memory only, no durability cost
BATCH_SIZE = 20_000


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What one manifest import did."""

    event: EventPolicy
    sequence: int
    tickets: int
    revocations: int
    seconds: float
    replaced_event: int | None = None


def normalize_key_pin(expect_key: str) -> str:
    """Lowercase hex of a key pin: 8 digits (key id) or 64 (public key or its SHA-256)."""
    pin = expect_key.strip().lower().replace(":", "").replace(" ", "")
    if len(pin) not in (8, 64) or any(c not in "0123456789abcdef" for c in pin):
        raise ValueError("expect_key must be a key id (8 hex digits) or a public key "
                         "or its SHA-256 fingerprint (64 hex digits)")
    return pin


def _pin_matches(pin: str, key: TrustedKey) -> bool:
    if len(pin) == 8:
        return pin == key.kid.hex()
    return pin in (key.public_key.hex(), hashlib.sha256(key.public_key).hexdigest())


def fingerprint(public_key: bytes) -> str:
    """A key's fingerprint as people compare it: SHA-256 of the public key, 64 hex digits."""
    return hashlib.sha256(public_key).hexdigest()


def check_trust(conn: sqlite3.Connection, header: ManifestHeader, pin: str | None,
                replace: bool, pins: tuple[str, ...] = ()) -> int | None:
    """Refuse a manifest this ledger must not accept; returns an event id it will replace."""
    signer = header.signer_key()
    new_event = header.policy.event_id
    if pin is not None and not _pin_matches(pin, signer):
        raise ManifestError("unexpected_key",
                            f"manifest is signed by key {signer.kid.hex()}, not the expected key")
    if pins and not any(_pin_matches(p, signer) for p in pins):
        raise ManifestError("signer_not_pinned",
                            f"manifest is signed by key {signer.kid.hex()} (fingerprint "
                            f"{fingerprint(signer.public_key)}), which is not one of the "
                            "issuer keys this gate was enrolled with")
    stored = conn.execute("SELECT event_id, sequence FROM events").fetchall()
    if not stored:
        log.info("first manifest for this ledger: trusting signer key %s", signer.kid.hex())
        return None
    if len(stored) > 1 or stored[0][0] != new_event:
        old = stored[0][0]
        if not replace:
            raise ManifestError("other_event",
                                f"this gate holds event {old}; the manifest is for event "
                                f"{new_event} (replace the event to load it)")
        log.warning("replacing event %d with event %d (trust on first use)", old, new_event)
        return int(old)
    trusted = {bytes(k) for (k,) in conn.execute(
        "SELECT public_key FROM keys WHERE event_id = ?", (new_event,))}
    if signer.public_key not in trusted:
        raise ManifestError("untrusted_signer",
                            f"manifest is signed by key {signer.kid.hex()}, which this gate "
                            "does not trust for the event")
    if header.sequence < stored[0][1]:
        raise ManifestError("older_manifest",
                            f"older manifest: sequence {header.sequence}, this gate already has "
                            f"{stored[0][1]}")
    return None


def apply_revocations(conn: sqlite3.Connection) -> None:
    """Set the revoked flag of every listed ticket that a revocation covers.

    A revocation of serial S covers the ticket while its current serial is S or
    lower (a later transfer to serial S+1 is a new, valid credential); a
    revocation without a serial covers the ticket for good.
    """
    covers = "r.ticket_id = tickets.ticket_id AND (r.serial IS NULL OR r.serial >= tickets.serial)"
    conn.execute(
        f"""UPDATE tickets SET revoked = 1, revoked_reason = (
                SELECT r.reason FROM revocations r WHERE {covers}
                ORDER BY r.serial IS NULL DESC, r.serial DESC LIMIT 1)
            WHERE ticket_id IN (SELECT ticket_id FROM revocations)
              AND EXISTS (SELECT 1 FROM revocations r WHERE {covers})""")


def _drop_event(conn: sqlite3.Connection) -> None:
    # Scans stay: they are the log (and may not be uploaded yet).
    for table in ("tickets", "credentials", "revocations", "keys", "events"):
        conn.execute(f"DELETE FROM {table}")


def _store_header(conn: sqlite3.Connection, header: ManifestHeader, now: float) -> None:
    policy = header.policy
    conn.execute(
        "INSERT OR REPLACE INTO events (event_id, name, policy, sequence, generated_at, "
        "imported_at) VALUES (?, ?, ?, ?, ?, ?)",
        (policy.event_id, policy.name, json.dumps(policy.to_dict(), sort_keys=True),
         header.sequence, header.generated_at, now))
    # Keys are added, never dropped by omission (an older server's manifest lacks newer
    # keys); the signer, itself trusted, may withdraw others explicitly.
    conn.executemany("INSERT OR IGNORE INTO keys (event_id, kid, public_key) VALUES (?, ?, ?)",
                     [(policy.event_id, k.kid, k.public_key) for k in header.keys])
    for k in header.withdrawn:
        if conn.execute("DELETE FROM keys WHERE event_id = ? AND public_key = ?",
                        (policy.event_id, k.public_key)).rowcount:
            log.warning("key %s withdrawn by a manifest signed by key %s", k.kid.hex(),
                        header.signer.hex())


@contextmanager
def _opened(source: str | os.PathLike[str] | IO[bytes]) -> Iterator[tuple[IO[bytes], int | None]]:
    if isinstance(source, str | os.PathLike):
        with open(source, "rb", buffering=1024 * 1024) as f:
            yield f, os.fstat(f.fileno()).st_size
        return
    total: int | None = None
    try:
        total = os.fstat(source.fileno()).st_size
    except (OSError, AttributeError, io.UnsupportedOperation):
        if isinstance(source, io.BytesIO):
            total = len(source.getbuffer())
    yield source, total


@contextmanager
def _reporter(progress: Progress, total: int | None, label: str) -> Iterator[ProgressCallback]:
    if callable(progress):
        yield progress
        return
    if not progress or not sys.stderr.isatty():
        yield lambda done, total: None
        return
    from tqdm import tqdm  # only needed on a terminal

    with tqdm(total=total, unit="B", unit_scale=True, desc=label, file=sys.stderr,
              leave=False) as bar:
        def update(done: int, _total: int | None) -> None:
            bar.update(done - bar.n)
        yield update


def _has_json(conn: sqlite3.Connection) -> bool:
    """Whether this SQLite has the JSON functions (built in since 3.38, an option before)."""
    try:
        conn.execute("SELECT count(*) FROM json_each('[]')").fetchone()
    except sqlite3.OperationalError:
        log.info("SQLite without JSON functions: manifest lines are parsed in Python")
        return False
    return True


def _rollback(conn: sqlite3.Connection) -> None:
    # SQLite may already have rolled back by itself (disk full, I/O error).
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            log.warning("rollback of manifest import failed: %s", exc)


def import_manifest(conn: sqlite3.Connection, source: str | os.PathLike[str] | IO[bytes], *,
                    expect_key: str | None = None, progress: Progress = False,
                    replace: bool = False, now: float | None = None,
                    pinned: tuple[str, ...] = ()) -> ImportResult:
    """Verify and load a manifest in one transaction; raises `ManifestError` and changes nothing
    if the manifest is damaged, forged, older, or for another event.

    `expect_key` pins the signer (`unexpected_key` otherwise); `pinned` are the
    fingerprints the gate was enrolled with (`signer_not_pinned` otherwise).
    """
    pin = normalize_key_pin(expect_key) if expect_key is not None else None
    pins = tuple(normalize_key_pin(p) for p in pinned)
    started = time.perf_counter()
    with _opened(source) as (f, total):
        reader = ManifestReader(f, batch_size=BATCH_SIZE, ticket_arrays=_has_json(conn))
        header = reader.header
        event_id = header.policy.event_id
        # A serial never goes down; the revoked flag is re-folded from the (kept)
        # revocations below, so a stale manifest can neither un-transfer nor un-refund.
        upsert = ("ON CONFLICT(ticket_id) DO UPDATE "
                  "SET type_id = excluded.type_id, serial = excluded.serial, "
                  "seat = excluded.seat, revoked = 0, revoked_reason = NULL "
                  "WHERE excluded.serial >= tickets.serial")
        ticket_sql = (f"INSERT INTO tickets (ticket_id, event_id, type_id, serial, seat) "
                      f"VALUES (?, {int(event_id):d}, ?, ?, ?) {upsert}")
        # The bulk: a block of canonical ticket lines the reader has checked, parsed by
        # SQLite's C JSON parser in one statement. By id, as below; `key` (the position in
        # the block) keeps a ticket listed twice in its listed order. (`WHERE true`: an
        # upsert after INSERT ... SELECT needs a WHERE to parse.)
        array_sql = (f"INSERT INTO tickets (ticket_id, event_id, type_id, serial, seat) "
                     f"SELECT json_extract(value, '$[1]'), {int(event_id):d}, "
                     "json_extract(value, '$[2]'), json_extract(value, '$[3]'), "
                     "json_extract(value, '$[4]') FROM json_each(?) WHERE true "
                     f"ORDER BY 1, key {upsert}")
        revocation_sql = "INSERT OR REPLACE INTO revocations (ticket_id, serial, reason) " \
                         "VALUES (?, ?, ?)"
        attendee_sql = ("UPDATE tickets SET holder_name = ?, order_code = ?, name_key = ? "
                        "WHERE ticket_id = ?")
        (old_cache,) = conn.execute("PRAGMA cache_size").fetchone()
        conn.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB:d}")
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                replaced = check_trust(conn, header, pin, replace, pins)
                if replaced is not None:
                    _drop_event(conn)
                _store_header(conn, header, time.time() if now is None else now)
                done = f.tell() if f.seekable() else 0
                with _reporter(progress, total, f"Importing {header.policy.name}"[:40]) as report:
                    report(done, total)
                    for batch in reader.batches():
                        if batch.ticket_array is not None:
                            conn.execute(array_sql, (batch.ticket_array,))
                        if batch.tickets:
                            # In id order: neighbouring inserts touch the same B-tree pages.
                            # Stable, so a ticket listed twice keeps its listed order.
                            batch.tickets.sort(key=itemgetter(0))
                            conn.executemany(ticket_sql, batch.tickets)
                        if batch.revocations:
                            conn.executemany(revocation_sql, batch.revocations)
                        if batch.credentials:
                            conn.executemany(CREDENTIAL_SQL, batch.credentials)
                        if batch.attendees:
                            conn.executemany(attendee_sql, [
                                (name, order, name_key(name), tid)
                                for name, order, tid in batch.attendees])
                        done += batch.bytes_read
                        report(done, total)
                apply_revocations(conn)
                conn.execute("COMMIT")
            except BaseException:
                _rollback(conn)
                raise
        finally:
            conn.execute(f"PRAGMA cache_size = {int(old_cache):d}")
    seconds = time.perf_counter() - started
    log.info("imported manifest for event %d (sequence %d): %d tickets, %d revocations in %.1f s",
             event_id, header.sequence, reader.tickets, reader.revocations, seconds)
    return ImportResult(header.policy, header.sequence, reader.tickets, reader.revocations,
                        seconds, replaced)

