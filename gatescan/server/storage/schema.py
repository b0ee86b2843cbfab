"""The issuer's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL.

Version 1 is the offline issuer's schema (events, public keys, tickets,
transfers, the change counter); version 2 adds the sync server's tables: the
change log, scans, conflicts, devices, enrollment codes, admin tokens and
dashboard sessions, and the manifest cache; version 3 the wallet's one-time
claim links; version 4 the gates' hash-chain checkpoints (columns on `scans`
and `devices`) and an index of conflict changes; version 5 keys scans by
(device, scan id) instead of scan id alone and flags implausible device
times (`scans.time_flag`); version 6 the server's instance id and the
devices' `server_rollback` flag; version 7 the console's accounts, grants,
sessions, audit log, event details and inventory limits; version 8 the
optional attendee name and order code on tickets; version 9 the devices' mesh key
and address (docs/mesh.md); version 10 what each device last reported (app version, scans
waiting to upload, the mesh peers it heard). See `migrations.py`.

Tables are created from these definitions, so a fresh database gets later
columns in the step that creates the table; the step that adds them to an
older database adds only what is missing.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    literal_column,
)

metadata = MetaData()

# Seconds and ids are 64-bit on PostgreSQL; SQLite INTEGER is 64-bit anyway.
# SQLite only auto-numbers a column declared exactly INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")

events = Table(
    "events", metadata,
    Column("event_id", BigInteger, primary_key=True, autoincrement=False),
    Column("ordinal", BigInteger, nullable=False),
    Column("name", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("policy", Text, nullable=False),
    Column("demo", Text),
    Column("created_at", BigInteger, nullable=False),
    Column("manifest_sequence", BigInteger, nullable=False),
)

issuer_keys = Table(
    "issuer_keys", metadata,
    Column("event_id", BigInteger, ForeignKey("events.event_id"), primary_key=True),
    Column("kid", Text, primary_key=True),
    Column("public_key", LargeBinary, nullable=False),
    Column("state", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("retired_at", BigInteger),
    Column("change_seq", BigInteger, nullable=False),
)

tickets = Table(
    "tickets", metadata,
    Column("ticket_id", BigInteger, primary_key=True, autoincrement=False),
    Column("event_id", BigInteger, ForeignKey("events.event_id"), nullable=False),
    Column("type_id", Integer, nullable=False),
    Column("serial", Integer, nullable=False),
    Column("seat", Text),
    Column("status", Text, nullable=False),
    Column("holder_key", LargeBinary, nullable=False),
    Column("kid", Text, nullable=False),
    Column("valid_from", BigInteger, nullable=False),
    Column("valid_until", BigInteger, nullable=False),
    Column("issued_at", BigInteger, nullable=False),
    Column("issue_seq", BigInteger, nullable=False),
    Column("revoked_reason", Text),
    Column("revoked_at", BigInteger),
    Column("change_seq", BigInteger, nullable=False),
    Column("holder_name", Text),   # v8: optional, reaches gates only if the event opts in
    Column("order_code", Text),    # v8
    # v11: the change that published the ticket's signed credential for compact v2 codes
    # (a wallet claim), NULL if none: see gatescan/server/compact.py.
    Column("credential_seq", BigInteger),
    Index("idx_tickets_event_id_issue_seq", "event_id", "issue_seq", unique=True),
    Index("idx_tickets_event_id_change_seq", "event_id", "change_seq"),
)

transfers = Table(
    "transfers", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("ticket_id", BigInteger, ForeignKey("tickets.ticket_id")),
    Column("from_serial", Integer),
    Column("to_serial", Integer),
    Column("old_holder_key", LargeBinary),
    Column("new_holder_key", LargeBinary),
    Column("at", BigInteger),
)

counters = Table(
    "counters", metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

V1_TABLES = (events, issuer_keys, tickets, transfers, counters)

schema_version = Table(
    "schema_version", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", Integer, nullable=False),
)

# Ticket, transfer, revocation, key and policy changes, in one numbered log.
changes = Table(
    "changes", metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("event_id", BigInteger, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("ticket_id", BigInteger),
    Column("data", Text, nullable=False),
    Column("at", BigInteger, nullable=False),
    Index("idx_changes_event_seq", "event_id", "seq"),
)

CONFLICT_KIND = "conflict"
# v4: conflict changes travel with the scan side of a feed cursor (gatescan/server/feed.py).
# Queries must spell the kind as a literal for SQLite to use this partial index.
conflict_changes = Index("idx_changes_conflicts",
                         changes.c.event_id, changes.c.kind, changes.c.seq,
                         sqlite_where=changes.c.kind == literal_column(f"'{CONFLICT_KIND}'"),
                         postgresql_where=changes.c.kind == literal_column(f"'{CONFLICT_KIND}'"))

scans = Table(
    "scans", metadata,
    # v5: a scan is one device's (`device_id`, `scan_id`); `seq` numbers every stored scan
    # (on SQLite the rowid itself: the table is stored in feed order, with no extra index).
    Column("seq", BigId, primary_key=True, autoincrement=False),
    Column("scan_id", String(32), nullable=False),
    Column("event_id", BigInteger, nullable=False),
    Column("ticket_id", BigInteger, nullable=False),
    Column("serial", Integer, nullable=False),
    Column("type_id", Integer),
    Column("gate", Text, nullable=False),
    Column("direction", String(8), nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("device_time", Float(53), nullable=False),
    Column("received_at", Float(53), nullable=False),
    Column("device_id", String(32)),
    Column("source", String(32)),
    Column("reason", Text),
    Column("via", String(8), nullable=False),
    # v4: the scan's place in its gate's hash chain, as the gate sent it (NULL: not sent).
    Column("chain_seq", BigInteger),
    Column("chain_hash", String(64)),
    # v5: NULL, or why the device time is outside the plausible window (`server.timecheck`).
    Column("time_flag", String(8)),
    Index("idx_scans_event_seq", "event_id", "seq"),
    Index("idx_scans_event_ticket", "event_id", "ticket_id"),
    Index("idx_scans_device_chain", "device_id", "chain_seq"),
)
# v5: idempotency per device (a device has one event). Lines of an import naming no device
# (NULL) are told apart by ingest, whose write transactions are serialized: an expression
# index on COALESCE would say the same but cannot be reflected on SQLite.
scan_key = Index("uq_scans_scan_device", scans.c.scan_id, scans.c.device_id, scans.c.event_id,
                 unique=True)

conflicts = Table(
    "conflicts", metadata,
    Column("event_id", BigInteger, primary_key=True),
    Column("ticket_id", BigInteger, primary_key=True),
    Column("entries", Integer, nullable=False),
    Column("allowed", Integer, nullable=False),
    Column("detected_at", Float(53), nullable=False),
    Column("updated_at", Float(53), nullable=False),
)

devices = Table(
    "devices", metadata,
    Column("device_id", String(32), primary_key=True),
    Column("event_id", BigInteger, ForeignKey("events.event_id"), nullable=False),
    Column("name", Text, nullable=False),
    Column("gate", Text),
    Column("status", String(16), nullable=False),
    Column("token_hash", String(64), unique=True),
    Column("created_at", Float(53), nullable=False),
    Column("enrolled_at", Float(53)),
    Column("revoked_at", Float(53)),
    Column("last_seen_at", Float(53)),
    # v4: the highest (seq, hash) of the gate's scan chain pushed since it enrolled, and
    # the first pushed hash that disagreed with a stored one (JSON) and how many did.
    Column("chain_seq", BigInteger),
    Column("chain_hash", String(64)),
    Column("chain_at", Float(53)),
    Column("chain_mismatch", Text),
    Column("chain_mismatches", Integer),
    # v6: the first time this gate found the server behind what it had acknowledged
    # (restored from an older backup), as JSON, and how many times since.
    Column("server_rollback", Text),
    # v9: the gate mesh (docs/mesh.md): the device's own Ed25519 public key (hex; the private
    # half never leaves the gate), the address its mesh listens on, and when it said so.
    Column("device_key", String(64)),
    Column("mesh_address", Text),
    Column("mesh_seen_at", Float(53)),
    # v10: what the gate said about itself at its last push or pull: its app version, how
    # many scans it still held unsent, and (JSON) the mesh peers it heard, with when.
    Column("app_version", String(64)),
    Column("pending_uploads", Integer),
    Column("mesh_peers", Text),
    # v11: the ticket-side feed position the device last asked from (it holds every change
    # up to it): when every gate holds a claim, the wallet shows the compact code.
    Column("feed_cursor", BigInteger),
    UniqueConstraint("event_id", "name", name="uq_devices_event_name"),
)

enrollment_codes = Table(
    "enrollment_codes", metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("device_id", String(32), ForeignKey("devices.device_id"), nullable=False),
    Column("created_at", Float(53), nullable=False),
    Column("expires_at", Float(53), nullable=False),
    Column("used_at", Float(53)),
)

admin_tokens = Table(
    "admin_tokens", metadata,
    Column("token_id", String(32), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("created_at", Float(53), nullable=False),
    Column("revoked_at", Float(53)),
)

admin_sessions = Table(
    "admin_sessions", metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("token_id", String(32), ForeignKey("admin_tokens.token_id"), nullable=False),
    Column("expires_at", Float(53), nullable=False),
)

manifest_cache = Table(
    "manifest_cache", metadata,
    Column("event_id", BigInteger, primary_key=True, autoincrement=False),
    Column("cursor", BigInteger, nullable=False),
    Column("sequence", BigInteger, nullable=False),
    Column("generated_at", BigInteger, nullable=False),
    Column("body", LargeBinary, nullable=False),
)

V2_TABLES = (changes, scans, conflicts, devices, enrollment_codes,
             admin_tokens, admin_sessions, manifest_cache)

# One-time wallet links (gatescan/server/wallet/links.py): a phone claims a ticket with one.
wallet_links = Table(
    "wallet_links", metadata,
    Column("link_hash", String(64), primary_key=True),
    Column("ticket_id", BigInteger, ForeignKey("tickets.ticket_id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("serial", Integer, nullable=False),
    Column("auth_at", BigInteger),
    Column("created_at", Float(53), nullable=False),
    Column("expires_at", Float(53), nullable=False),
    Column("used_at", Float(53)),
    Column("claimed_key", LargeBinary),
    Column("claimed_serial", Integer),
    Index("idx_wallet_links_ticket", "ticket_id"),
)

V3_TABLES = (wallet_links,)

# v4 adds columns to existing tables and these indexes (see `migrations._v4`).
V4_COLUMNS = {"scans": ("chain_seq", "chain_hash"),
              "devices": ("chain_seq", "chain_hash", "chain_at", "chain_mismatch",
                          "chain_mismatches")}
V4_INDEXES = ("idx_scans_device_chain", "idx_changes_conflicts")

# v5 rebuilds `scans` (primary key `seq`, unique (scan_id, device)) and adds `time_flag`.
V5_INDEXES = ("uq_scans_scan_device",)

# v6: the server's identity (one row, made with the store) and the devices' rollback flag.
server_instance = Table(
    "server_instance", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("instance_id", String(32), nullable=False),
    Column("created_at", Float(53), nullable=False),
)
V6_COLUMNS = {"devices": ("server_rollback",)}

# v7: the venue manager's console (gatescan/server/console): organizer accounts, per-event
# grants (for accounts and admin tokens), console sessions with their CSRF token, the
# audit log, console-only event details (venue, IANA zone, times, archive) and
# per-type inventory limits.
accounts = Table(
    "accounts", metadata,
    Column("account_id", String(32), primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("created_at", Float(53), nullable=False),
    Column("disabled_at", Float(53)),
)

# subject: an account id (acc_…) or an admin token id (adm_…); event_id 0 = every event.
# An admin token with no grant row at all is an every-event owner (tokens made before v6).
grants = Table(
    "grants", metadata,
    Column("subject", String(32), primary_key=True),
    Column("event_id", BigInteger, primary_key=True, autoincrement=False),
    Column("role", String(16), nullable=False),
)

console_sessions = Table(
    "console_sessions", metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("account_id", String(32), ForeignKey("accounts.account_id"), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("expires_at", Float(53), nullable=False),
)

audit_log = Table(
    "audit_log", metadata,
    Column("seq", BigId, primary_key=True, autoincrement=True),
    Column("at", Float(53), nullable=False),
    Column("actor", Text, nullable=False),
    Column("event_id", BigInteger),
    Column("action", String(40), nullable=False),
    Column("details", Text, nullable=False),
    Index("idx_audit_event_seq", "event_id", "seq"),
)

event_details = Table(
    "event_details", metadata,
    Column("event_id", BigInteger, primary_key=True, autoincrement=False),
    Column("venue", Text, nullable=False),
    Column("tz", String(64), nullable=False),
    Column("doors_at", BigInteger),
    Column("starts_at", BigInteger),
    Column("ends_at", BigInteger),
    Column("archived_at", Float(53)),
)

type_limits = Table(
    "type_limits", metadata,
    Column("event_id", BigInteger, primary_key=True, autoincrement=False),
    Column("type_id", Integer, primary_key=True, autoincrement=False),
    Column("inventory", BigInteger, nullable=False),
)

V7_TABLES = (accounts, grants, console_sessions, audit_log, event_details, type_limits)
V8_COLUMNS = {"tickets": ("holder_name", "order_code")}

# v9: the gate mesh: each device's own public key and the address its mesh listens on.
V9_COLUMNS = {"devices": ("device_key", "mesh_address", "mesh_seen_at")}

# v10: what each device last reported about itself. (No index of scans by device time:
# SQLite then walks it for "one ticket's scans ORDER BY device_time", 200 ms a query.)
V10_COLUMNS = {"devices": ("app_version", "pending_uploads", "mesh_peers")}

# v11: compact codes (gatescan/server/compact.py).
V11_COLUMNS = {"tickets": ("credential_seq",), "devices": ("feed_cursor",)}
