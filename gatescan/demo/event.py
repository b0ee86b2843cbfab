"""The demo event: one of each ticket type, N tickets held by simulated phones.

`create_demo` builds it; `demo_report` describes it (the `demo --json` object);
`format_demo_report` renders that for people. The report is rebuilt from the
store, so running `demo` again on the same data directory prints the same thing.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nacl.signing import SigningKey

from gatescan.demo.phones import Wallet
from gatescan.protocol.clock import EventZone, UnknownZoneError, format_hm, zone
from gatescan.protocol.policy import EventPolicy, Gate, TicketType, TimeSlot
from gatescan.protocol.token import format_ticket_id
from gatescan.server import issuer
from gatescan.server.entropy import Entropy
from gatescan.server.handshake import active_fingerprints
from gatescan.server.settings import ServerSettings
from gatescan.server.store import IssuerStore, StoredEvent

log = logging.getLogger(__name__)

DEMO_NAME = "GateScan Demo Night"
DEFAULT_TICKETS = 200
MIN_TICKETS = 8  # one per type, one revoked, one transferred
MAX_TICKETS = 2_000_000
DAY = 86400
CHUNK = 10_000
GATES = (Gate("Gate 1", "main"), Gate("Gate 2", "main"), Gate("VIP Gate", "vip"))
TYPE_KEYS = {1: "early_bird", 2: "vip", 3: "group", 4: "time_slot", 5: "multi_day",
             6: "reentry"}
# Made-up attendees: the demo event opts in to names and order codes on the gates.
_FIRST = ("Anna", "Ben", "Chen", "Dana", "Emil", "Fatima", "Jonas", "Li", "Maria", "Noah")
_LAST = ("Müller", "Schmidt", "Wang", "Garcia", "Novak", "Okafor", "Larsen", "Rossi")
# Type mix of the bulk tickets, interleaved so any prefix is spread over the types.
_PATTERN = (1, 4, 6, 1, 5, 2, 1, 4, 3, 6, 1, 5, 4, 1, 2, 6, 1, 4, 5, 3)


@dataclass(frozen=True, slots=True)
class DemoParams:
    """What `demo` was asked for; a later `demo` with other values is a conflict."""

    tickets: int
    seed: int | None
    at: int | None

    def as_dict(self) -> dict[str, int | None]:
        """JSON form, stored with the event."""
        return {"tickets": self.tickets, "seed": self.seed, "at": self.at}


def machine_zone() -> str:
    """The machine's IANA zone (TZ, the /etc/localtime link, /etc/timezone), else "UTC"."""
    names = [os.environ.get("TZ", "").lstrip(":")]
    with contextlib.suppress(OSError):
        names.append(os.readlink("/etc/localtime").rpartition("zoneinfo/")[2])
    with contextlib.suppress(OSError, UnicodeError):
        names.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    for name in names:
        try:
            return zone(name).key
        except UnknownZoneError:
            continue
    return "UTC"


def _hhmm(t: int, tz: str) -> str:
    return format_hm(t, EventZone(tz))


def demo_ticket_types(now: int, tz: str) -> tuple[TicketType, ...]:
    """The six demo types; the time slot runs from an hour before `now` to two after."""
    start = now - now % 900 - 3600
    slot = TimeSlot(start, start + 3 * 3600, grace=900)
    main = ("main",)
    return (
        TicketType(1, "Early Bird", zones=main),
        TicketType(2, "VIP", zones=("vip", "main")),
        TicketType(3, "Group of 4", zones=main, max_entries=4),
        TicketType(4, f"Time slot {_hhmm(slot.start, tz)}–{_hhmm(slot.end, tz)}",
                   zones=main, slot=slot),
        TicketType(5, "3-day pass", zones=main, per_day=True),
        TicketType(6, "Re-entry", zones=main, reentry=True),
    )


def _validity(type_id: int, now: int) -> tuple[int, int]:
    return now - DAY, now + (3 if TYPE_KEYS[type_id] == "multi_day" else 1) * DAY


def _attendee(n: int) -> tuple[str, str]:
    """A made-up name and order code for the n-th demo ticket (two tickets per order)."""
    name = f"{_FIRST[n % len(_FIRST)]} {_LAST[(n // len(_FIRST)) % len(_LAST)]}"
    return name, f"D-{n // 2 + 1:06d}"


def _plan(count: int) -> list[int]:
    """Type ids in issue order: one of each type, the bulk, then the revoked and transferred."""
    bulk = count - MIN_TICKETS
    return [*TYPE_KEYS, *(_PATTERN[i % len(_PATTERN)] for i in range(bulk)), 1, 1]


def create_demo(store: IssuerStore, wallet: Wallet, settings: ServerSettings,
                params: DemoParams, *, entropy: Entropy, now: int,
                progress: Callable[[int], None] | None = None) -> StoredEvent:
    """Create the demo event, issue its tickets into the wallet, revoke one, transfer one.

    `progress(n)` is called after each chunk with the number of tickets just issued.
    """
    if not MIN_TICKETS <= params.tickets <= MAX_TICKETS:
        raise ValueError(f"tickets must be {MIN_TICKETS} to {MAX_TICKETS}")
    tz = machine_zone()  # the demo runs where its gates are
    plan = _plan(params.tickets)
    vip_seats = 0
    ids: list[int] = []
    with store.transaction():
        policy = issuer.create_event(store, DEMO_NAME, gates=GATES,
                                     ticket_types=demo_ticket_types(now, tz),
                                     tz=tz, attendee_data=True, kind="demo",
                                     entropy=entropy, now=now)
        for start in range(0, len(plan), CHUNK):
            holders: list[SigningKey] = []
            requests: list[issuer.TicketRequest] = []
            for type_id in plan[start:start + CHUNK]:
                holder = wallet.new_holder(entropy)
                seat = None
                if TYPE_KEYS[type_id] == "vip":
                    vip_seats += 1
                    seat = f"VIP row {(vip_seats - 1) // 20 + 1} seat {(vip_seats - 1) % 20 + 1}"
                holders.append(holder)
                n = start + len(requests)
                requests.append(issuer.TicketRequest(type_id, bytes(holder.verify_key),
                                                     *_validity(type_id, now), seat,
                                                     *_attendee(n)))
            issued = issuer.issue_tickets(store, policy.event_id, requests, entropy=entropy,
                                          now=now)
            wallet.add((i.ticket_id, 0, h, i.signed) for i, h in zip(issued, holders, strict=True))
            ids.extend(i.ticket_id for i in issued)
            if progress is not None:
                progress(len(issued))
        revoked, transferred = ids[-2], ids[-1]
        issuer.revoke(store, revoked, "refund", now=now)
        new_phone = wallet.new_holder(entropy)
        moved = issuer.transfer(store, transferred, bytes(new_phone.verify_key), now=now)
        wallet.replace(transferred, moved.credential.serial, new_phone, moved.signed)
        special = {"revoked": revoked, "transferred": transferred}
        special.update({key: ids[n] for n, key in enumerate(TYPE_KEYS.values())})
        store.set_demo(policy.event_id, {
            "params": params.as_dict(),
            "special": {k: format_ticket_id(v) for k, v in special.items()},
            "validity": {key: _validity(tid, now) for tid, key in TYPE_KEYS.items()},
        })
        issuer.write_manifest(store, policy.event_id, settings.manifest_path(policy.event_id),
                              now=now)
    log.info("demo event %d ready with %d tickets", policy.event_id, len(ids))
    event = store.event(policy.event_id)
    if event is None:  # pragma: no cover - committed just above
        raise RuntimeError("demo event vanished after commit")
    return event


def _type_info(t: TicketType, validity: dict[str, list[int]]) -> dict[str, Any]:
    key = TYPE_KEYS.get(t.id, str(t.id))
    return {"id": t.id, "key": key, "name": t.name, "zones": list(t.zones),
            "gates": list(t.gates), "max_entries": t.max_entries, "per_day": t.per_day,
            "reentry": t.reentry,
            "slot": None if t.slot is None else {"start": t.slot.start, "end": t.slot.end,
                                                 "grace": t.slot.grace},
            "valid_from": validity[key][0], "valid_until": validity[key][1]}


def demo_report(store: IssuerStore, settings: ServerSettings, event: StoredEvent, *,
                created: bool) -> dict[str, Any]:
    """The `demo --json` object: where the manifest is, every ticket, the special ones."""
    if event.demo is None:
        raise ValueError(f"event {event.event_id} is not a demo event")
    policy: EventPolicy = event.policy
    tickets = store.ticket_types(event.event_id)
    return {
        "event_id": event.event_id,
        "event_name": event.name,
        "created": created,
        "data_dir": str(settings.data_dir),
        "manifest": str(settings.manifest_path(event.event_id)),
        "manifest_sequence": event.manifest_sequence,
        "fingerprint": active_fingerprints(store, event.event_id)[-1],
        "rotation_period": policy.rotation_period,
        "tz": policy.tz,
        "tz_offset_minutes": policy.tz_offset_minutes,
        "seeded": event.demo["params"]["seed"] is not None,
        "gates": [{"name": g.name, "zone": g.zone} for g in policy.gates],
        "types": [_type_info(t, event.demo["validity"]) for t in policy.ticket_types],
        "tickets": [format_ticket_id(tid) for tid, _ in tickets],
        "ticket_types": {format_ticket_id(tid): TYPE_KEYS.get(ty, str(ty)) for tid, ty in tickets},
        "special": dict(event.demo["special"]),
    }


def format_demo_report(report: dict[str, Any]) -> str:
    """The human summary of a demo report."""
    special = report["special"]
    counts = Counter(report["ticket_types"].values())
    lines = [
        f"{report['event_name']} (event {report['event_id']}): "
        + ("created" if report["created"] else "already here, reused (use --new for another)"),
        f"  data dir   {report['data_dir']}",
        f"  manifest   {report['manifest']} (sequence {report['manifest_sequence']})",
        f"  key        {report['fingerprint']} (fingerprint: compare it at the gate)",
        "  gates      " + ", ".join(f"{g['name']} ({g['zone']})" for g in report["gates"]),
        f"  rotation   every {report['rotation_period']} s",
        f"  time zone  {EventZone(report['tz'], report['tz_offset_minutes']).label()}",
        f"  tickets    {len(report['tickets'])}",
    ]
    for t in report["types"]:
        rules = [f"zones {'+'.join(t['zones'])}" if t["zones"] else "any gate"]
        if t["max_entries"] > 1:
            rules.append(f"{t['max_entries']} entries")
        if t["per_day"]:
            rules.append("per day")
        if t["reentry"]:
            rules.append("re-entry")
        lines.append(f"    {counts[t['key']]:>7}  {t['name']:<22} {', '.join(rules)}")
    lines.append("  try")
    for key in TYPE_KEYS.values():
        lines.append(f"    {key:<12} gatescan-demo token {special[key]}")
    lines.append(f"    {'revoked':<12} gatescan-demo token {special['revoked']}   (refunded)")
    lines.append(f"    {'transferred':<12} gatescan-demo token {special['transferred']} --old"
                 "   (old phone; without --old: the new one)")
    lines.append(f"  then       gatescan import-manifest {report['manifest']} "
                 f"--expect-key {report['fingerprint']}")
    if report["seeded"]:
        lines.append("  note       keys derived from --seed: reproducible, NOT secret")
    return "\n".join(lines)
