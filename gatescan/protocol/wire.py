"""Typed sync wire records: what a gate pushes, what the server answers, what the feed carries.

One definition for both sides (docs/sync-protocol.md): the gate builds a
`PushedScan` and reads `PushAnswer` and `FeedPage`; the server reads nothing
here it did not write, and builds `PushResult`s and feed entries. Every record
has one `to_json()` (plain JSON-ready objects, key order as on the wire) and
one `from_json()` that checks types, ranges and keys (missing or unknown) and
raises `WireError(code, message)` on anything else, never another exception.
Constructors do not check: they are for values a side already trusts.

A page or answer holds many items from the other side; one bad item becomes an
`Unreadable` in its place (with its `WireError`) instead of failing the rest.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, TypeVar, cast

from gatescan.protocol.policy import EventPolicy, PolicyError
from gatescan.protocol.verdict import Outcome

MAX_U16 = 0xFFFF
MAX_U32 = 0xFFFFFFFF
MAX_SEQ = 2**63 - 1
MAX_TICKET_ID = 2**63 - 1
MAX_GATE = 200
MAX_REASON = 300
MAX_ERROR = 1000
MAX_PUSH = 1000       # items in one push that every server takes
MAX_PUSH_ADVERTISED = 5000  # the most a server may say it takes (`MAX_PUSH_HEADER`)
MAX_PUSH_HEADER = "x-gatescan-max-push"
MAX_PAGE = 5000       # entries in one feed page (the server's largest `limit`)
MAX_CONFLICT_SCANS = 100
MAX_CURSOR = 64

OUTCOMES = frozenset(o.value for o in Outcome)
DIRECTIONS = frozenset({"entry", "exit"})
PUSH_STATUSES = frozenset({"stored", "duplicate", "rejected"})
Direction = Literal["entry", "exit"]
PushStatus = Literal["stored", "duplicate", "rejected"]

_HEX32 = re.compile(r"[0-9a-f]{32}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_KID = re.compile(r"[0-9a-f]{8}")
_SOURCE = re.compile(r"[a-z0-9_.-]{0,32}")
_TICKET = re.compile(r"[0-7][0-9a-f]{15}")
_SHORT_CODE = re.compile(r"[a-z0-9_]{1,64}")
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f]")  # what a gate name or reason never holds


class WireError(ValueError):
    """A wire record that is not the protocol; `code` is stable, `message` says where."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WireError) and (self.code, self.message) == (other.code,
                                                                             other.message)

    def __hash__(self) -> int:
        return hash((self.code, self.message))


# -- reading one JSON object, field by field ---------------------------------------------


class _Reader:
    """Reads fields of one JSON object; `done()` refuses keys nobody read."""

    __slots__ = ("obj", "seen", "what")

    def __init__(self, obj: object, what: str) -> None:
        if not isinstance(obj, dict):
            raise WireError("not_object", f"{what} must be a JSON object")
        self.obj: dict[Any, Any] = obj
        self.what = what
        self.seen: set[str] = set()

    def _get(self, key: str, optional: bool) -> Any:
        self.seen.add(key)
        if key not in self.obj:
            if optional:
                return None
            raise WireError("missing_field", f"{self.what}.{key} is missing")
        return self.obj[key]

    def _bad(self, key: str, want: str) -> WireError:
        return WireError("wrong_type", f"{self.what}.{key} must be {want}")

    def integer(self, key: str, lo: int, hi: int, *, optional: bool = False) -> Any:
        v = self._get(key, optional)
        if v is None and optional:
            return None
        if isinstance(v, bool) or not isinstance(v, int):
            raise self._bad(key, "an integer")
        if not lo <= v <= hi:
            raise WireError("out_of_range", f"{self.what}.{key} must be in {lo}..{hi}")
        return v

    def number(self, key: str, lo: float, hi: float, *, optional: bool = False) -> Any:
        v = self._get(key, optional)
        if v is None and optional:
            return None
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise self._bad(key, "a number")
        if isinstance(v, int) and not -(2**53) <= v <= 2**53:
            raise WireError("out_of_range", f"{self.what}.{key} is too large")
        f = float(v)
        if not math.isfinite(f) or not lo <= f <= hi:
            raise WireError("out_of_range", f"{self.what}.{key} must be in {lo:g}..{hi:g}")
        return f

    def boolean(self, key: str, *, optional: bool = False, default: bool = False) -> bool:
        v = self._get(key, optional)
        if key not in self.obj:
            return default
        if not isinstance(v, bool):
            raise self._bad(key, "true or false")
        return v

    def text(self, key: str, *, max_len: int, min_len: int = 0, pattern: re.Pattern[str] |
             None = None, optional: bool = False, printable: bool = False) -> Any:
        v = self._get(key, optional)
        if v is None and optional:
            return None
        if not isinstance(v, str):
            raise self._bad(key, "text")
        if not min_len <= len(v) <= max_len:
            raise WireError("out_of_range", f"{self.what}.{key} must have {min_len}..{max_len} "
                            "characters")
        if pattern is not None and pattern.fullmatch(v) is None:
            raise WireError("bad_format", f"{self.what}.{key} is not in the expected format")
        if printable and _UNPRINTABLE.search(v):
            raise WireError("bad_format", f"{self.what}.{key} holds control characters")
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            raise WireError("bad_format", f"{self.what}.{key} is not valid text") from None
        return v

    def choice(self, key: str, allowed: frozenset[str]) -> Any:
        v = self._get(key, False)
        if not isinstance(v, str) or v not in allowed:
            raise WireError("bad_value", f"{self.what}.{key} must be one of "
                            f"{', '.join(sorted(allowed))}")
        return v

    def ticket_id(self, key: str = "ticket_id") -> int:
        return int(self.text(key, max_len=16, pattern=_TICKET), 16)

    def hex_bytes(self, key: str, pattern: re.Pattern[str], *, optional: bool = False
                  ) -> bytes | None:
        v = self.text(key, max_len=128, pattern=pattern, optional=optional)
        return None if v is None else bytes.fromhex(v)

    def present(self, key: str) -> bool:
        return key in self.obj

    def done(self) -> None:
        extra = [k for k in self.obj if k not in self.seen]
        if extra:
            raise WireError("unknown_field", f"{self.what} has unknown field "
                            f"{str(extra[0])[:40]!r}")


_RESULT_KEYS = frozenset({"scan_id", "status", "conflict", "error", "code"})
_SCAN_ENTRY_KEYS = frozenset({"seq", "kind", "scan_id", "ticket_id", "serial", "gate",
                              "direction", "outcome", "device_time", "device_id"})


def _plain(value: object, max_len: int) -> bool:
    """Is `value` text of at most `max_len` characters that UTF-8 can carry (fast paths)?"""
    if type(value) is not str or len(value) > max_len:
        return False
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _ticket_hex(ticket_id: int) -> str:
    return f"{ticket_id:016x}"


def _sorted(value: Any) -> Any:
    """A JSON value with every object's keys sorted (what the server's change log stores)."""
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


# -- push: gate -> server ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PushedScan:
    """One scan as the gate recorded it, as the gate pushes it (`POST /api/v1/device/scans`).

    `seq` and `hash` place it in the gate's hash-chained log (both or neither).
    """

    scan_id: str
    ticket_id: int
    serial: int
    gate: str
    direction: Direction
    outcome: str
    device_time: float
    source: str | None = None
    reason: str | None = None
    seq: int | None = None
    hash: str | None = None
    event_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The push item; optional fields only when set."""
        item: dict[str, Any] = {
            "scan_id": self.scan_id, "ticket_id": _ticket_hex(self.ticket_id),
            "serial": self.serial, "gate": self.gate, "direction": self.direction,
            "outcome": self.outcome, "device_time": self.device_time}
        if self.source is not None:
            item["source"] = self.source
        if self.reason is not None:
            item["reason"] = self.reason
        if self.seq is not None:
            item["seq"] = self.seq
            item["hash"] = self.hash
        if self.event_id is not None:
            item["event_id"] = self.event_id
        return item

    @classmethod
    def from_json(cls, obj: object) -> PushedScan:
        """Read a push item; `WireError` if it is not one."""
        r = _Reader(obj, "scan")
        scan = cls(
            scan_id=r.text("scan_id", max_len=32, pattern=_HEX32),
            ticket_id=r.ticket_id(),
            serial=r.integer("serial", 0, MAX_U16),
            gate=r.text("gate", min_len=1, max_len=MAX_GATE, printable=True),
            direction=r.choice("direction", DIRECTIONS),
            outcome=r.choice("outcome", OUTCOMES),
            device_time=r.number("device_time", 0, MAX_U32),
            source=r.text("source", max_len=32, pattern=_SOURCE, optional=True),
            reason=r.text("reason", max_len=MAX_REASON, optional=True, printable=True),
            seq=r.integer("seq", 1, MAX_SEQ, optional=True),
            hash=r.text("hash", max_len=64, pattern=_HEX64, optional=True),
            event_id=r.integer("event_id", 1, MAX_U32, optional=True))
        r.done()
        if (scan.seq is None) != (scan.hash is None):
            raise WireError("bad_value", "scan.seq and scan.hash come together")
        return scan


@dataclass(frozen=True, slots=True)
class PushResult:
    """What became of one pushed item (`scan_id` None: the item was too broken to name)."""

    scan_id: str | None
    status: PushStatus
    conflict: bool = False
    error: str | None = None
    code: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The result object, every field present."""
        return {"scan_id": self.scan_id, "status": self.status, "conflict": self.conflict,
                "error": self.error, "code": self.code}

    @classmethod
    def from_json(cls, obj: object) -> PushResult:
        """Read one result; `conflict`, `error` and `code` may be left out."""
        if type(obj) is dict and obj.keys() == _RESULT_KEYS:  # the usual shape: checked fast
            sid, status, conflict, error, code = (obj["scan_id"], obj["status"], obj["conflict"],
                                                  obj["error"], obj["code"])
            if (sid is None or (type(sid) is str and _HEX32.fullmatch(sid) is not None)) \
                    and type(status) is str and status in PUSH_STATUSES \
                    and type(conflict) is bool \
                    and (error is None or _plain(error, MAX_ERROR)) \
                    and (code is None or (type(code) is str and _SHORT_CODE.fullmatch(code)
                                          is not None)):
                return cls(sid, cast(PushStatus, status), conflict, error, code)
        r = _Reader(obj, "result")
        result = cls(scan_id=r.text("scan_id", max_len=32, pattern=_HEX32, optional=True),
                     status=r.choice("status", PUSH_STATUSES),
                     conflict=r.boolean("conflict", optional=True),
                     error=r.text("error", max_len=MAX_ERROR, optional=True),
                     code=r.text("code", max_len=64, pattern=_SHORT_CODE, optional=True))
        r.done()
        return result


@dataclass(frozen=True, slots=True)
class ServerView:
    """What the server says about itself in an answer: its instance, feed head, and how much
    of the asking gate's scan log it holds (`chain_seq` 0 and `chain_hash` None: nothing)."""

    instance_id: str
    head: int
    chain_seq: int = 0
    chain_hash: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The `server` object."""
        chain = None if self.chain_hash is None else {"seq": self.chain_seq,
                                                      "hash": self.chain_hash}
        return {"instance_id": self.instance_id, "head": self.head, "chain": chain}

    @classmethod
    def from_json(cls, obj: object) -> ServerView:
        """Read a `server` object."""
        r = _Reader(obj, "server")
        instance = r.text("instance_id", min_len=1, max_len=64)
        head = r.integer("head", 0, MAX_SEQ)
        chain = r._get("chain", True)
        r.done()
        if chain is None:
            return cls(instance, head)
        c = _Reader(chain, "server.chain")
        seq = c.integer("seq", 0, MAX_SEQ)
        digest = c.text("hash", max_len=64, pattern=_HEX64)
        c.done()
        return cls(instance, head, seq, digest)


@dataclass(frozen=True, slots=True)
class Unreadable:
    """An item of a page or answer that is not the protocol, kept in its place with why."""

    raw: Any
    error: WireError

    def to_json(self) -> Any:
        """The item exactly as it came."""
        return self.raw

    @property
    def seq(self) -> Any:
        """The `seq` it claims, if any (for messages)."""
        return self.raw.get("seq") if isinstance(self.raw, dict) else None

    @property
    def kind(self) -> Any:
        """The `kind` it claims, if any (for messages)."""
        return self.raw.get("kind") if isinstance(self.raw, dict) else None


T = TypeVar("T")


def _items(raw: object, what: str, limit: int, read: Callable[[object], T]
           ) -> tuple[T | Unreadable, ...]:
    if not isinstance(raw, list):
        raise WireError("wrong_type", f"{what} must be a list")
    if len(raw) > limit:
        raise WireError("out_of_range", f"{what} has more than {limit} items")
    out: list[T | Unreadable] = []
    for item in raw:
        try:
            out.append(read(item))
        except WireError as exc:
            out.append(Unreadable(item, exc))
    return tuple(out)


def _server(r: _Reader) -> ServerView | None:
    raw = r._get("server", True)
    return None if raw is None else ServerView.from_json(raw)


def push_limit(header: str | None) -> int:
    """How many items a server takes in one push, from its `X-Gatescan-Max-Push` header.

    `MAX_PUSH` when the header is absent (a server from before it) or not a plain
    number; a server's lower limit as it says; never more than `MAX_PUSH_ADVERTISED`.
    """
    value = (header or "").strip().lstrip("0")
    if not (value.isascii() and value.isdigit()):  # also "", "0", "-1", "1e3", "٥"
        return MAX_PUSH
    return MAX_PUSH_ADVERTISED if len(value) > 9 else min(int(value), MAX_PUSH_ADVERTISED)


@dataclass(frozen=True, slots=True)
class PushAnswer:
    """The server's answer to one push: one result per item, in order."""

    results: tuple[PushResult | Unreadable, ...]
    server: ServerView | None = None
    server_time: float | None = None

    def to_json(self) -> dict[str, Any]:
        """The answer body."""
        return {"results": [x.to_json() for x in self.results],
                "server": None if self.server is None else self.server.to_json(),
                "server_time": self.server_time}

    @classmethod
    def from_json(cls, obj: object) -> PushAnswer:
        """Read an answer; a bad result becomes `Unreadable`, a bad envelope a `WireError`."""
        r = _Reader(obj, "push answer")
        results = _items(r._get("results", False), "results", MAX_PUSH_ADVERTISED,
                         PushResult.from_json)
        answer = cls(results, _server(r), r.number("server_time", 0, 2**53, optional=True))
        r.done()
        return answer


# -- the change feed: server -> gate -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class TicketEntry:
    """A new ticket (serial 0); `attendee`: the event has attendee data (name, order code)."""

    KIND: ClassVar[str] = "ticket"
    seq: int
    ticket_id: int
    type_id: int
    serial: int
    seat: str | None = None
    attendee: bool = False
    holder_name: str | None = None
    order_code: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The change, data keys sorted as the change log stores them."""
        item: dict[str, Any] = {"seq": self.seq, "kind": self.KIND,
                                "ticket_id": _ticket_hex(self.ticket_id)}
        if self.attendee:
            item["holder_name"] = self.holder_name
            item["order_code"] = self.order_code
        item.update(seat=self.seat, serial=self.serial, type_id=self.type_id)
        return item

    @classmethod
    def from_json(cls, obj: object) -> TicketEntry:
        """Read a `ticket` change."""
        r = _entry(obj, cls.KIND)
        attendee = r.present("holder_name") or r.present("order_code")
        entry = cls(r.integer("seq", 0, MAX_SEQ), r.ticket_id(),
                    r.integer("type_id", 0, MAX_U16), r.integer("serial", 0, MAX_U16),
                    r.text("seat", max_len=MAX_GATE, optional=True),
                    attendee, r.text("holder_name", min_len=1, max_len=200, optional=True),
                    r.text("order_code", min_len=1, max_len=64, optional=True))
        r.done()
        return entry


@dataclass(frozen=True, slots=True)
class TransferEntry:
    """The ticket moved to a new holder: credentials below `serial` are superseded."""

    KIND: ClassVar[str] = "transfer"
    seq: int
    ticket_id: int
    type_id: int
    serial: int
    seat: str | None = None
    previous_serial: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The change, data keys sorted."""
        return {"seq": self.seq, "kind": self.KIND, "ticket_id": _ticket_hex(self.ticket_id),
                "previous_serial": self.previous_serial, "seat": self.seat,
                "serial": self.serial, "type_id": self.type_id}

    @classmethod
    def from_json(cls, obj: object) -> TransferEntry:
        """Read a `transfer` change."""
        r = _entry(obj, cls.KIND)
        entry = cls(r.integer("seq", 0, MAX_SEQ), r.ticket_id(),
                    r.integer("type_id", 0, MAX_U16), r.integer("serial", 0, MAX_U16),
                    r.text("seat", max_len=MAX_GATE, optional=True),
                    r.integer("previous_serial", 0, MAX_U16, optional=True))
        r.done()
        return entry


@dataclass(frozen=True, slots=True)
class CredentialEntry:
    """The ticket's current signed credential (125 bytes, base64url), for compact v2 codes.

    The gate stores it as it comes and checks its issuer signature at each scan, so a
    relay or a forged feed cannot make a code verify; `ticket_id` and `serial` must be
    the credential's own.
    """

    KIND: ClassVar[str] = "credential"
    seq: int
    ticket_id: int
    serial: int
    credential: bytes

    def to_json(self) -> dict[str, Any]:
        """The change, data keys sorted."""
        return {"seq": self.seq, "kind": self.KIND, "ticket_id": _ticket_hex(self.ticket_id),
                "credential": b64url(self.credential), "serial": self.serial}

    @classmethod
    def from_json(cls, obj: object) -> CredentialEntry:
        """Read a `credential` change."""
        r = _entry(obj, cls.KIND)
        entry = cls(r.integer("seq", 0, MAX_SEQ), r.ticket_id(), r.integer("serial", 0, MAX_U16),
                    unb64url(r.text("credential", min_len=CREDENTIAL_B64_LEN,
                                    max_len=CREDENTIAL_B64_LEN, pattern=_B64URL)))
        r.done()
        # The credential's own ticket id (offset 9) and serial (offset 19).
        if int.from_bytes(entry.credential[9:17], "big") != entry.ticket_id or \
                int.from_bytes(entry.credential[19:21], "big") != entry.serial:
            raise WireError("bad_value", "credential change names another ticket or serial")
        return entry


CREDENTIAL_B64_LEN = 167  # base64url of 125 bytes, no padding
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64url(data: bytes) -> str:
    """Base64url without padding (credentials in the feed and the manifest)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    """The bytes of unpadded base64url text whose alphabet is already checked."""
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, binascii.Error):
        raise WireError("bad_format", "not base64url") from None
    if b64url(data) != text:  # one canonical spelling only
        raise WireError("bad_format", "not canonical base64url")
    return data


@dataclass(frozen=True, slots=True)
class RevocationEntry:
    """Refuse the ticket: credentials up to `serial` (None: every credential)."""

    KIND: ClassVar[str] = "revocation"
    seq: int
    ticket_id: int
    serial: int | None = None
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The change, data keys sorted."""
        return {"seq": self.seq, "kind": self.KIND, "ticket_id": _ticket_hex(self.ticket_id),
                "reason": self.reason, "serial": self.serial}

    @classmethod
    def from_json(cls, obj: object) -> RevocationEntry:
        """Read a `revocation` change."""
        r = _entry(obj, cls.KIND)
        entry = cls(r.integer("seq", 0, MAX_SEQ), r.ticket_id(),
                    r.integer("serial", 0, MAX_U16, optional=True),
                    r.text("reason", max_len=1000, optional=True))
        r.done()
        return entry


@dataclass(frozen=True, slots=True)
class KeyEntry:
    """A new trusted issuer key, endorsed by the previous active key (not the first one)."""

    KIND: ClassVar[str] = "key"
    seq: int
    public_key: bytes
    kid: str | None = None
    endorsed_by: str | None = None
    endorsement: bytes | None = None

    def to_json(self) -> dict[str, Any]:
        """The change, data keys sorted; no endorsement fields on an event's first key."""
        item: dict[str, Any] = {"seq": self.seq, "kind": self.KIND}
        if self.endorsed_by is not None:
            item["endorsed_by"] = self.endorsed_by
        if self.endorsement is not None:
            item["endorsement"] = self.endorsement.hex()
        if self.kid is not None:
            item["kid"] = self.kid
        item["public_key"] = self.public_key.hex()
        return item

    @classmethod
    def from_json(cls, obj: object) -> KeyEntry:
        """Read a `key` change (an Ed25519 key: 32 bytes; a signature: 64)."""
        r = _entry(obj, cls.KIND)
        seq = r.integer("seq", 0, MAX_SEQ)
        public = r.hex_bytes("public_key", _HEX64)
        assert public is not None
        entry = cls(seq, public, r.text("kid", max_len=8, pattern=_KID, optional=True),
                    r.text("endorsed_by", max_len=8, pattern=_KID, optional=True),
                    r.hex_bytes("endorsement", re.compile(r"[0-9a-f]{128}"), optional=True))
        r.done()
        return entry


@dataclass(frozen=True, slots=True)
class PolicyEntry:
    """The event's policy changed (gates, zones, types, rotation)."""

    KIND: ClassVar[str] = "policy"
    seq: int
    policy: EventPolicy

    def to_json(self) -> dict[str, Any]:
        """The change; the policy object with its keys sorted, as the change log stores it."""
        return {"seq": self.seq, "kind": self.KIND, "policy": _sorted(self.policy.to_dict())}

    @classmethod
    def from_json(cls, obj: object) -> PolicyEntry:
        """Read a `policy` change (the policy object of docs/manifest-format.md)."""
        r = _entry(obj, cls.KIND)
        seq = r.integer("seq", 0, MAX_SEQ)
        doc = r._get("policy", False)
        r.done()
        if not isinstance(doc, dict):
            raise WireError("wrong_type", "policy change .policy must be an object")
        try:
            policy = EventPolicy.from_dict(doc)
        except PolicyError as exc:
            raise WireError("bad_policy", str(exc)[:200]) from None
        except (TypeError, ValueError, KeyError, AttributeError, OverflowError,
                RecursionError) as exc:
            raise WireError("bad_policy", f"{type(exc).__name__}: {exc}"[:200]) from None
        return cls(seq, policy)


@dataclass(frozen=True, slots=True)
class ScanEntry:
    """A scan made by another device (another gate, or an imported file)."""

    KIND: ClassVar[str] = "scan"
    seq: int
    scan_id: str
    ticket_id: int
    serial: int | None
    gate: str
    direction: Direction
    outcome: str
    device_time: float
    device_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The change."""
        return {"seq": self.seq, "kind": self.KIND, "scan_id": self.scan_id,
                "ticket_id": _ticket_hex(self.ticket_id), "serial": self.serial,
                "gate": self.gate, "direction": self.direction, "outcome": self.outcome,
                "device_time": self.device_time, "device_id": self.device_id}

    @classmethod
    def from_json(cls, obj: object) -> ScanEntry:
        """Read a `scan` change."""
        if type(obj) is dict and obj.keys() == _SCAN_ENTRY_KEYS:  # the usual shape: fast
            seq, sid, tid, serial, gate = (obj["seq"], obj["scan_id"], obj["ticket_id"],
                                           obj["serial"], obj["gate"])
            direction, outcome, at, device = (obj["direction"], obj["outcome"],
                                              obj["device_time"], obj["device_id"])
            if obj["kind"] == cls.KIND and type(seq) is int and 0 <= seq <= MAX_SEQ \
                    and type(sid) is str and _HEX32.fullmatch(sid) is not None \
                    and type(tid) is str and _TICKET.fullmatch(tid) is not None \
                    and (serial is None or (type(serial) is int and 0 <= serial <= MAX_U16)) \
                    and _plain(gate, MAX_GATE) and gate != "" and type(direction) is str \
                    and direction in DIRECTIONS and type(outcome) is str and outcome in OUTCOMES \
                    and type(at) is float and 0 <= at <= MAX_U32 \
                    and (device is None or (_plain(device, 64) and device != "")):
                return cls(seq, sid, int(tid, 16), serial, gate, cast(Direction, direction),
                           outcome, at, device)
        r = _entry(obj, cls.KIND)
        entry = cls(r.integer("seq", 0, MAX_SEQ), r.text("scan_id", max_len=32, pattern=_HEX32),
                    r.ticket_id(), r.integer("serial", 0, MAX_U16, optional=True),
                    r.text("gate", min_len=1, max_len=MAX_GATE),
                    r.choice("direction", DIRECTIONS), r.choice("outcome", OUTCOMES),
                    r.number("device_time", 0, MAX_U32),
                    r.text("device_id", min_len=1, max_len=64, optional=True))
        r.done()
        return entry


@dataclass(frozen=True, slots=True)
class ConflictScan:
    """One movement named by a conflict (`excess`: an entry a gate seeing all would refuse)."""

    scan_id: str
    serial: int | None
    gate: str
    device_id: str | None
    direction: Direction
    outcome: str
    device_time: float
    excess: bool

    def to_json(self) -> dict[str, Any]:
        """The movement, keys sorted as the change log stores them."""
        return {"device_id": self.device_id, "device_time": self.device_time,
                "direction": self.direction, "excess": self.excess, "gate": self.gate,
                "outcome": self.outcome, "scan_id": self.scan_id, "serial": self.serial}

    @classmethod
    def from_json(cls, obj: object) -> ConflictScan:
        """Read one movement of a conflict change."""
        r = _Reader(obj, "conflict scan")
        scan = cls(r.text("scan_id", max_len=32, pattern=_HEX32),
                   r.integer("serial", 0, MAX_U16, optional=True),
                   r.text("gate", min_len=1, max_len=MAX_GATE),
                   r.text("device_id", min_len=1, max_len=64, optional=True),
                   r.choice("direction", DIRECTIONS), r.choice("outcome", OUTCOMES),
                   r.number("device_time", 0, MAX_U32), r.boolean("excess"))
        r.done()
        return scan


@dataclass(frozen=True, slots=True)
class ConflictEntry:
    """A ticket admitted more often than its type allows; the latest one for it supersedes."""

    KIND: ClassVar[str] = "conflict"
    seq: int
    ticket_id: int
    entries: int
    allowed: int
    detected_at: float
    scans_total: int
    scans: tuple[ConflictScan, ...]

    def to_json(self) -> dict[str, Any]:
        """The change, data keys sorted."""
        return {"seq": self.seq, "kind": self.KIND, "ticket_id": _ticket_hex(self.ticket_id),
                "allowed": self.allowed, "detected_at": self.detected_at,
                "entries": self.entries, "scans": [s.to_json() for s in self.scans],
                "scans_total": self.scans_total}

    @classmethod
    def from_json(cls, obj: object) -> ConflictEntry:
        """Read a `conflict` change (at most 100 movements)."""
        r = _entry(obj, cls.KIND)
        seq, tid = r.integer("seq", 0, MAX_SEQ), r.ticket_id()
        entries, allowed = r.integer("entries", 0, MAX_SEQ), r.integer("allowed", 0, MAX_SEQ)
        detected = r.number("detected_at", 0, 2**53)
        total = r.integer("scans_total", 0, MAX_SEQ)
        raw = r._get("scans", False)
        r.done()
        if not isinstance(raw, list):
            raise WireError("wrong_type", "conflict change .scans must be a list")
        if len(raw) > MAX_CONFLICT_SCANS:
            raise WireError("out_of_range", f"a conflict names at most {MAX_CONFLICT_SCANS} "
                            "scans")
        return cls(seq, tid, entries, allowed, detected, total,
                   tuple(ConflictScan.from_json(s) for s in raw))


FeedEntry = (TicketEntry | TransferEntry | RevocationEntry | KeyEntry | PolicyEntry | ScanEntry
             | ConflictEntry | CredentialEntry)
ENTRY_KINDS: Mapping[str, Callable[[object], FeedEntry]] = {
    c.KIND: c.from_json for c in (TicketEntry, TransferEntry, RevocationEntry, KeyEntry,
                                  PolicyEntry, ScanEntry, ConflictEntry, CredentialEntry)}


def _entry(obj: object, kind: str) -> _Reader:
    r = _Reader(obj, f"{kind} change")
    if r._get("kind", False) != kind:
        raise WireError("bad_value", f"not a {kind} change")
    return r


def entry_from_json(obj: object) -> FeedEntry:
    """Read a change of any kind; `WireError("unknown_kind")` for a kind this gate lacks."""
    if not isinstance(obj, dict):
        raise WireError("not_object", "a change must be a JSON object")
    kind = obj.get("kind")
    read = ENTRY_KINDS.get(kind) if isinstance(kind, str) else None
    if read is None:
        raise WireError("unknown_kind", f"unknown change kind {str(kind)[:40]!r}")
    return read(obj)


@dataclass(frozen=True, slots=True)
class FeedPage:
    """One page of the change feed: entries in seq order, the cursor after them, and `more`."""

    entries: tuple[FeedEntry | Unreadable, ...]
    cursor: str
    more: bool
    server: ServerView | None = None
    server_time: float | None = None

    def to_json(self) -> dict[str, Any]:
        """The page body."""
        return {"changes": [e.to_json() for e in self.entries], "cursor": self.cursor,
                "more": self.more,
                "server": None if self.server is None else self.server.to_json(),
                "server_time": self.server_time}

    @classmethod
    def from_json(cls, obj: object) -> FeedPage:
        """Read a page; a bad entry becomes `Unreadable`, a bad envelope a `WireError`."""
        r = _Reader(obj, "feed page")
        entries = _items(r._get("changes", False), "changes", MAX_PAGE, entry_from_json)
        page = cls(entries, r.text("cursor", min_len=1, max_len=MAX_CURSOR), r.boolean("more"),
                   _server(r), r.number("server_time", 0, 2**53, optional=True))
        r.done()
        return page


__all__ = [
    "ENTRY_KINDS",
    "MAX_PUSH",
    "MAX_PUSH_ADVERTISED",
    "MAX_PUSH_HEADER",
    "ConflictEntry",
    "ConflictScan",
    "CredentialEntry",
    "FeedEntry",
    "FeedPage",
    "KeyEntry",
    "PolicyEntry",
    "PushAnswer",
    "PushResult",
    "PushedScan",
    "RevocationEntry",
    "ScanEntry",
    "ServerView",
    "TicketEntry",
    "TransferEntry",
    "Unreadable",
    "WireError",
    "entry_from_json",
    "push_limit",
]
