"""The gate mesh's signed datagram: what two gates of one event say to each other.

One UDP datagram is one message: the magic `GSM1`, a 64-byte Ed25519 signature
by the sending device's key, then a compact JSON object (the signed body):

    {"v":1,"k":"scan"|"heads","e":EVENT_ID,"d":"dev_…","n":COUNTER,"t":SENT_AT,"b":{…}}

The signature covers `GATESCAN/v1/mesh` + newline + the JSON bytes exactly as
sent, so nothing is re-encoded before checking. `parse` checks the shape of
outside input (never trusting it: any malformed datagram is one `MeshFormatError`);
`verify_signature` checks the key. Freshness (counter, time window), the roster
and the event are the receiver's business (gatescan.gate.mesh.trust).
See docs/mesh.md.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from nacl.exceptions import BadSignatureError, CryptoError
from nacl.signing import SigningKey, VerifyKey

MAGIC = b"GSM1"
DOMAIN = b"GATESCAN/v1/mesh\n"
SIGNATURE_BYTES = 64
MAX_DATAGRAM = 8192  # a scan message is ~400 bytes; heads stay well below
VERSION = 1
MAX_COUNTER = 2**63 - 1
MAX_SEQ = 2**62
MAX_TEXT = 200
MAX_HAVE = 64  # sender ids in one heads message

Kind = Literal["scan", "heads"]
KINDS: frozenset[str] = frozenset({"scan", "heads"})
DIRECTIONS = frozenset({"entry", "exit"})
DEVICE_ID = re.compile(r"dev_[0-9a-f]{12}")
_HEX32 = re.compile(r"[0-9a-f]{32}")
_HEX16 = re.compile(r"[0-9a-f]{16}")
_OUTCOME = re.compile(r"[a-z][a-z_]{0,39}")
_ADDRESS = re.compile(r"[0-9A-Za-z.:\[\]-]{1,80}:[0-9]{1,5}")


class MeshFormatError(ValueError):
    """A datagram that is not a well-formed mesh message (the reason, for counting)."""


@dataclass(frozen=True, slots=True)
class PeerScan:
    """One scan as a peer tells it: what the server's feed would say, plus its log position.

    `seq` is the scan's place in the sender's hash-chained log, `prev` the place of
    the sender's previous own scan (0: none): a receiver that holds `prev` holds
    everything of the sender up to `seq`.
    """

    scan_id: str
    ticket_id: str
    serial: int | None
    gate: str
    direction: str
    outcome: str
    device_time: float
    seq: int
    prev: int

    def to_json(self) -> dict[str, Any]:
        """The wire object."""
        return {"scan_id": self.scan_id, "ticket_id": self.ticket_id, "serial": self.serial,
                "gate": self.gate, "direction": self.direction, "outcome": self.outcome,
                "device_time": self.device_time, "seq": self.seq, "prev": self.prev}

    @classmethod
    def from_json(cls, raw: Any) -> PeerScan:
        """Parse the wire object; `MeshFormatError` if any field is off."""
        obj = _object(raw, {"scan_id", "ticket_id", "serial", "gate", "direction", "outcome",
                            "device_time", "seq", "prev"}, "scan")
        serial = obj["serial"]
        if serial is not None:
            serial = _int(serial, 0, 0xFFFF, "serial")
        seq = _int(obj["seq"], 1, MAX_SEQ, "seq")
        prev = _int(obj["prev"], 0, MAX_SEQ, "prev")
        if prev >= seq:
            raise MeshFormatError("prev must come before seq")
        return cls(_match(obj["scan_id"], _HEX32, "scan_id"),
                   _match(obj["ticket_id"], _HEX16, "ticket_id"), serial,
                   _text(obj["gate"], "gate"),
                   _choice(obj["direction"], DIRECTIONS, "direction"),
                   _match(obj["outcome"], _OUTCOME, "outcome"),
                   _time(obj["device_time"], "device_time"), seq, prev)

    def as_change(self, device_id: str) -> dict[str, Any]:
        """The scan as a `scan` change of the server's feed (docs/sync-protocol.md)."""
        return {"seq": self.seq, "kind": "scan", "scan_id": self.scan_id,
                "ticket_id": self.ticket_id,
                "serial": self.serial, "gate": self.gate, "direction": self.direction,
                "outcome": self.outcome, "device_time": self.device_time,
                "device_id": device_id}


@dataclass(frozen=True, slots=True)
class Heads:
    """Anti-entropy: the sender's own log head, what it holds of each sender it names
    (`have`, contiguous), and the highest place it has *seen* of each (`seen`: a scan
    that came past a gap, or a peer's announced head). Everything between `have` and
    `seen` is known missing, so the peer resends it at once instead of waiting for
    it to settle. `seen` is optional on the wire (older gates send only `have`)."""

    head: int
    have: dict[str, int]
    seen: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The wire object."""
        out: dict[str, Any] = {"head": self.head, "have": dict(sorted(self.have.items()))}
        if self.seen:
            out["seen"] = dict(sorted(self.seen.items()))
        return out

    @classmethod
    def from_json(cls, raw: Any) -> Heads:
        """Parse the wire object; `MeshFormatError` if any field is off."""
        if isinstance(raw, dict) and "seen" in raw:
            obj = _object(raw, {"head", "have", "seen"}, "heads")
            seen = _marks(obj["seen"], "seen")
        else:
            obj = _object(raw, {"head", "have"}, "heads")
            seen = {}
        return cls(_int(obj["head"], 0, MAX_SEQ, "head"), _marks(obj["have"], "have"), seen)


def _marks(raw: Any, what: str) -> dict[str, int]:
    if not isinstance(raw, dict) or len(raw) > MAX_HAVE:
        raise MeshFormatError(f"{what} must be an object of at most {MAX_HAVE} entries")
    return {_match(k, DEVICE_ID, f"{what} key"): _int(v, 0, MAX_SEQ, what)
            for k, v in raw.items()}


@dataclass(frozen=True, slots=True)
class Message:
    """A parsed mesh message (its signature not yet checked: see `verify_signature`)."""

    kind: Kind
    event_id: int
    sender: str
    counter: int
    sent_at: float
    body: PeerScan | Heads
    signed: bytes = b""
    signature: bytes = b""


def encode(kind: Kind, event_id: int, sender: str, counter: int, sent_at: float,
           body: PeerScan | Heads, key: SigningKey) -> bytes:
    """One signed datagram."""
    doc = {"v": VERSION, "k": kind, "e": event_id, "d": sender, "n": counter,
           "t": round(sent_at, 6), "b": body.to_json()}
    data = json.dumps(doc, separators=(",", ":"), sort_keys=True, ensure_ascii=True,
                      allow_nan=False).encode("ascii")
    signature = key.sign(DOMAIN + data).signature
    out = MAGIC + signature + data
    if len(out) > MAX_DATAGRAM:
        raise ValueError("message too large for one datagram")
    return out


def parse(datagram: bytes) -> Message:
    """Parse a datagram from the network; `MeshFormatError` for anything malformed."""
    if len(datagram) > MAX_DATAGRAM:
        raise MeshFormatError("too large")
    if not datagram.startswith(MAGIC):
        raise MeshFormatError("not a mesh message")
    signature = datagram[len(MAGIC):len(MAGIC) + SIGNATURE_BYTES]
    data = datagram[len(MAGIC) + SIGNATURE_BYTES:]
    if len(signature) != SIGNATURE_BYTES or not data:
        raise MeshFormatError("truncated")
    try:
        doc = json.loads(data.decode("ascii"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise MeshFormatError(f"body is not JSON ({type(exc).__name__})") from None
    obj = _object(doc, {"v", "k", "e", "d", "n", "t", "b"}, "message")
    if obj["v"] != VERSION or isinstance(obj["v"], bool):
        raise MeshFormatError("unknown version")
    kind = _choice(obj["k"], KINDS, "kind")
    body: PeerScan | Heads = (PeerScan.from_json(obj["b"]) if kind == "scan"
                              else Heads.from_json(obj["b"]))
    return Message(kind, _int(obj["e"], 0, 0xFFFFFFFF, "event"),  # type: ignore[arg-type]
                   _match(obj["d"], DEVICE_ID, "device"),
                   _int(obj["n"], 0, MAX_COUNTER, "counter"), _time(obj["t"], "sent_at"),
                   body, bytes(data), bytes(signature))


def verify_signature(message: Message, public_key: bytes) -> bool:
    """True if `public_key` (32 bytes, Ed25519) signed this message."""
    try:
        VerifyKey(public_key).verify(DOMAIN + message.signed, message.signature)
    except (BadSignatureError, CryptoError, ValueError, TypeError):
        return False
    return True


# -- field checks -----------------------------------------------------------------------


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _object(raw: Any, keys: set[str], what: str) -> dict[str, Any]:
    if not isinstance(raw, dict) or set(raw) != keys:
        raise MeshFormatError(f"{what} must be an object with exactly {sorted(keys)}")
    return raw


def _int(raw: Any, lo: int, hi: int, what: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not lo <= raw <= hi:
        raise MeshFormatError(f"{what} must be an integer in {lo}..{hi}")
    return raw


def _time(raw: Any, what: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise MeshFormatError(f"{what} must be a number")
    value = float(raw)
    if not math.isfinite(value) or not 0 <= value < 2**32:
        raise MeshFormatError(f"{what} is out of range")
    return value


def _match(raw: Any, pattern: re.Pattern[str], what: str) -> str:
    if not isinstance(raw, str) or not pattern.fullmatch(raw):
        raise MeshFormatError(f"bad {what}")
    return raw


def _choice(raw: Any, allowed: frozenset[str], what: str) -> str:
    if not isinstance(raw, str) or raw not in allowed:
        raise MeshFormatError(f"bad {what}")
    return raw


def _text(raw: Any, what: str) -> str:
    if not isinstance(raw, str) or not 0 < len(raw) <= MAX_TEXT or \
            any(ord(c) < 32 or ord(c) == 127 for c in raw):
        raise MeshFormatError(f"{what} must be 1 to {MAX_TEXT} printable characters")
    return raw


def address_ok(text: str) -> bool:
    """Whether `text` looks like HOST:PORT (a peer address from the server or settings)."""
    return bool(_ADDRESS.fullmatch(text)) and 0 < int(text.rsplit(":", 1)[1]) < 65536
