"""A server that forgot what it acknowledged (restored from an older backup): noticed, repaired.

Every push and pull answer carries the server's `instance_id`, its feed `head`
and the highest place of this gate's scan log it holds (`chain`). The gate
remembers the highest `chain` the server ever confirmed and the highest manifest
sequence it served. A round in which the server is behind any of them (its
chain checkpoint went down, the gate's cursor is ahead of its feed, its manifest
is older, its instance id changed) is a rollback:

- every scan of this gate's own after what the server still holds is queued
  again and pushed in the same round (the server stores each scan id once, so
  re-sending one it still has changes nothing);
- the finding is kept in the ledger's `sync_state` (`server_rollback`), shown by
  `gatescan status` and the UI as a sync error until acknowledged
  (`gatescan sync --ack-server-rollback`), and reported to the server, which
  flags the device for the organizer (dashboard banner);
- ticket state never moves back: the ledger merges whatever the server serves
  (gatescan.gate.ledger.importer, replica).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.sync.client import ServerView, SyncClient
from gatescan.gate.sync.errors import SyncError

log = logging.getLogger(__name__)

SERVER_INSTANCE = "server_instance"
SERVER_CHAIN = "server_chain_seq"        # highest checkpoint of this gate the server confirmed
SERVER_MANIFEST = "server_manifest_sequence"
CHAIN_FLOOR = "chain_floor"              # log head at enrollment: older scans are not re-sent
ROLLBACK = "server_rollback"
KEYS = (SERVER_INSTANCE, SERVER_CHAIN, SERVER_MANIFEST, CHAIN_FLOOR, ROLLBACK)


def _int(value: str | None) -> int:
    try:
        return int(value) if value is not None else 0
    except ValueError:
        return 0


def stored_rollback(ledger: Ledger) -> dict[str, Any] | None:
    """The rollback this gate found and nobody acknowledged yet, if any."""
    raw = ledger.sync_state(ROLLBACK)
    if raw is None:
        return None
    try:
        found = json.loads(raw)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def message(found: dict[str, Any]) -> str:
    """The operator's words for a rollback."""
    resent = int(found.get("resent") or 0)
    return ("The server is behind what it acknowledged to this gate (restored from an older "
            f"backup?): {resent} scan(s) sent to it again. Refunds and transfers made on the "
            "server since its backup are gone from it: re-apply them there. "
            "(gatescan sync --ack-server-rollback when done.)")


class RollbackWatch:
    """One round's view of the server, compared at the end with what the gate remembers."""

    def __init__(self, ledger: Ledger, now: float) -> None:
        self.ledger = ledger
        self.now = now
        self.view: ServerView | None = None
        self.findings: dict[str, dict[str, Any]] = {}

    def saw(self, view: ServerView | None) -> None:
        """Note the `server` object of an answer."""
        if view is not None:
            self.view = view

    def cursor_ahead(self, cursor: str) -> None:
        """The server refused the gate's cursor as ahead of its feed."""
        self.findings.setdefault("cursor_ahead", {"gate_cursor": cursor[:40]})

    def manifest(self, sequence: int | None) -> None:
        """The server served a manifest with this sequence."""
        if sequence is None:
            return
        known = _int(self.ledger.sync_state(SERVER_MANIFEST))
        if sequence < known:
            self.findings["manifest"] = {"gate_manifest_sequence": known,
                                         "server_manifest_sequence": sequence}

    def manifest_loaded(self, sequence: int | None) -> None:
        """The server's manifest passed every check: remember its sequence."""
        if sequence is not None and sequence > _int(self.ledger.sync_state(SERVER_MANIFEST)):
            self.ledger.update_sync_state({SERVER_MANIFEST: str(sequence)})

    def check(self) -> int:
        """Compare the server with what it confirmed before; queue lost scans; returns how many."""
        view = self.view
        if view is None:
            return 0
        known_instance = self.ledger.sync_state(SERVER_INSTANCE)
        if known_instance is not None and known_instance != view.instance_id:
            self.findings["instance"] = {}
        confirmed = _int(self.ledger.sync_state(SERVER_CHAIN))
        if view.chain_seq >= confirmed:
            return 0
        floor = _int(self.ledger.sync_state(CHAIN_FLOOR))
        resent = self.ledger.resend_after(max(view.chain_seq, floor))
        self.findings["scans"] = {"gate_chain_seq": confirmed,
                                  "server_chain_seq": view.chain_seq, "resent": resent}
        log.error("the server holds this gate's scan log only up to %d, but had confirmed %d: "
                  "%d scan(s) queued again", view.chain_seq, confirmed, resent)
        return resent

    def settle(self, api: SyncClient) -> dict[str, Any] | None:
        """Remember what the server now confirms; record and report any rollback found."""
        view = self.view
        if view is not None:
            confirmed = _int(self.ledger.sync_state(SERVER_CHAIN))
            chain = view.chain_seq if "scans" in self.findings else max(confirmed,
                                                                         view.chain_seq)
            self.ledger.update_sync_state({SERVER_INSTANCE: view.instance_id,
                                           SERVER_CHAIN: str(chain)})
        if not self.findings:
            return None
        found = stored_rollback(self.ledger) or {"detected_at": self.now, "kinds": [],
                                                 "resent": 0}
        for kind, details in self.findings.items():
            if kind not in found["kinds"]:
                found["kinds"].append(kind)
            found.update({k: v for k, v in details.items() if k != "resent"})
            found["resent"] = int(found.get("resent") or 0) + int(details.get("resent") or 0)
        if view is not None:
            found["server_head"] = view.head
        found["last_at"] = self.now
        found["message"] = message(found)
        self.ledger.update_sync_state({ROLLBACK: json.dumps(found, sort_keys=True)})
        log.error("%s", found["message"])
        for kind, details in self.findings.items():
            report = {"kind": kind, **details}
            if view is not None:
                report["server_head"] = view.head
            try:
                api.report_rollback(report)
            except SyncError as exc:  # an older server without the route: the gate still says so
                log.warning("could not report the rollback to the server: %s", exc.message)
        return found
