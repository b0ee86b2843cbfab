"""Event manifest file: the signed, versioned, streamable preload of a gate's ledger.

Layout (JSON Lines, UTF-8; see docs/manifest-format.md):

    line 1     header  {"format": "gatescan-manifest", "version": 2, "sequence": N,
                        "generated_at": T, "signer": KID, "policy": {...}, "keys": [...],
                        "withdrawn_keys": [...] (optional)}
    lines      records ["t", ticket_id, type_id, serial, seat|null]
                       ["t", ticket_id, type_id, serial, seat|null, name|null, order|null]
                                                   (only if the policy has attendee_data)
                       ["r", ticket_id, serial|null, reason]        (revocation)
                       ["c", credential]  (version 2: a claimed ticket's 125-byte signed
                                           credential, base64url, for compact v2 codes)
    last line  trailer {"end": true, "tickets": N, "revocations": M, "sig": HEX}

The trailer's signature is Ed25519 by the signer key over
``MANIFEST_DOMAIN + SHA-256(every byte before the trailer line)``, so a reader
can stream the file once, hash as it goes, and accept it only at the end.
Version 1 files (no credential records) still import.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from nacl.signing import SigningKey

from gatescan.protocol.policy import EventPolicy, PolicyError
from gatescan.protocol.token import CREDENTIAL_LEN, _verify, key_id, parse_credential
from gatescan.protocol.wire import CREDENTIAL_B64_LEN, WireError, b64url, unb64url

FORMAT = "gatescan-manifest"
VERSION = 2  # what the writer writes
VERSIONS = frozenset({1, 2})  # what the reader reads (1: before credential records)
MANIFEST_DOMAIN = b"GATESCAN/v1/manifest"
KEY_DOMAIN = b"GATESCAN/v1/key"  # a trusted key vouching for a new one (a feed `key` change)
MAX_LINE = 64 * 1024
MAX_HEADER = 4 * 1024 * 1024
MAX_INT64 = 2**63 - 1  # everything numeric ends up in a SQLite INTEGER
# json.loads raises RecursionError on deeply nested input: hostile input, not a bug.
_JSON_ERRORS = (ValueError, RecursionError)


class ManifestError(ValueError):
    """A manifest that cannot be trusted or read; `code` is stable, `message` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class TrustedKey:
    """An issuer public key the event trusts, with its 4-byte key id."""

    kid: bytes
    public_key: bytes


@dataclass(frozen=True, slots=True)
class ManifestHeader:
    """The manifest's first line: which event, which policy, which keys, which version."""

    sequence: int
    generated_at: int
    signer: bytes
    policy: EventPolicy
    keys: tuple[TrustedKey, ...]
    withdrawn: tuple[TrustedKey, ...] = ()  # keys the signer says to stop trusting
    version: int = VERSION

    def signer_key(self) -> TrustedKey:
        """The key that signed this manifest (one of `keys`)."""
        for k in self.keys:
            if k.kid == self.signer:
                return k
        raise ManifestError("unknown_signer", "manifest signer is not one of its keys")


TicketRow = tuple[int, int, int, str | None]          # ticket_id, type_id, serial, seat
RevocationRow = tuple[int, int | None, str]            # ticket_id, serial (None: all), reason
AttendeeRow = tuple[str | None, str | None, int]       # name, order code, ticket_id
CredentialRow = tuple[int, int, bytes]                 # ticket_id, serial, signed credential
MAX_NAME = 200
MAX_ORDER_CODE = 64


@dataclass(slots=True)
class Batch:
    """A run of records read from the manifest, ready for `executemany`."""

    tickets: list[TicketRow]
    revocations: list[RevocationRow]
    bytes_read: int
    attendees: list[AttendeeRow] = field(default_factory=list)  # opt-in events only
    credentials: list[CredentialRow] = field(default_factory=list)  # claimed tickets (v2)
    # Instead of `tickets`, with `ticket_arrays`: a block of canonical 5-field ticket lines as
    # one JSON array (exactly the rows json.loads gives, in listed order), for a consumer
    # that parses it in C (the gate's ledger, through SQLite's json_each).
    ticket_array: str | None = None


class ManifestWriter:
    """Writes a signed manifest to a binary file object (the issuer side)."""

    def __init__(self, out: IO[bytes], policy: EventPolicy, keys: list[bytes],
                 signer: SigningKey, *, sequence: int, generated_at: int,
                 withdrawn: list[bytes] | None = None, version: int = VERSION) -> None:
        if version not in VERSIONS:
            raise ValueError(f"no manifest version {version}")
        self._version = version
        self._out = out
        self._signer = signer
        self._hash = hashlib.sha256()
        self._tickets = 0
        self._revocations = 0
        self._attendee_data = policy.attendee_data
        signer_public = bytes(signer.verify_key)
        if signer_public not in keys:
            keys = [*keys, signer_public]
        header = {
            "format": FORMAT,
            "version": version,
            "sequence": sequence,
            "generated_at": generated_at,
            "signer": key_id(signer_public).hex(),
            "policy": policy.to_dict(),
            "keys": [{"kid": key_id(k).hex(), "public_key": k.hex()} for k in keys],
        }
        if withdrawn:
            header["withdrawn_keys"] = [{"kid": key_id(k).hex(), "public_key": k.hex()}
                                        for k in withdrawn]
        self._line(json.dumps(header, separators=(",", ":"), sort_keys=True))

    def _line(self, text: str) -> None:
        data = text.encode("utf-8") + b"\n"
        self._hash.update(data)
        self._out.write(data)

    def ticket(self, ticket_id: int, type_id: int, serial: int, seat: str | None = None, *,
               name: str | None = None, order_code: str | None = None) -> None:
        """Add one ticket record; `name` and `order_code` only for an event with attendee_data."""
        record: list[Any] = ["t", ticket_id, type_id, serial, seat]
        if name is not None or order_code is not None:
            if not self._attendee_data:
                raise ValueError("attendee data in a manifest whose event did not opt in")
            record += [name, order_code]
        self._line(json.dumps(record, separators=(",", ":")))
        self._tickets += 1

    def revocation(self, ticket_id: int, serial: int | None, reason: str) -> None:
        """Add one revocation (serial None revokes every credential of the ticket)."""
        self._line(json.dumps(["r", ticket_id, serial, reason], separators=(",", ":")))
        self._revocations += 1

    def credential(self, signed: bytes) -> None:
        """Add a ticket's signed credential (version 2), after its ticket record."""
        if self._version < 2:
            raise ValueError("credential records need manifest version 2")
        if len(signed) != CREDENTIAL_LEN:
            raise ValueError("a signed credential has 125 bytes")
        self._line(json.dumps(["c", b64url(signed)], separators=(",", ":")))

    def finish(self) -> None:
        """Write the signed trailer; the manifest is invalid without it."""
        sig = self._signer.sign(MANIFEST_DOMAIN + self._hash.digest()).signature
        trailer = {"end": True, "tickets": self._tickets, "revocations": self._revocations,
                   "sig": sig.hex()}
        self._out.write(_trailer_line(trailer))


def key_endorsement_message(event_id: int, public_key: bytes) -> bytes:
    """What a trusted issuer key signs to introduce `public_key` for the event."""
    return KEY_DOMAIN + event_id.to_bytes(8, "big") + public_key


def endorse_key(signer: SigningKey, event_id: int, public_key: bytes) -> bytes:
    """The endorsement (64-byte Ed25519 signature) of a new key by a trusted one."""
    return signer.sign(key_endorsement_message(event_id, public_key)).signature


def endorsed(trusted: list[bytes], event_id: int, public_key: bytes, signature: bytes) -> bool:
    """Whether one of the `trusted` keys endorsed `public_key` for the event."""
    message = key_endorsement_message(event_id, public_key)
    return len(signature) == 64 and any(_verify(k, message, signature) for k in trusted)


def _trailer_line(trailer: dict[str, Any]) -> bytes:
    return json.dumps(trailer, separators=(",", ":")).encode("utf-8") + b"\n"


def _utf8(value: str) -> str:
    # JSON can carry lone surrogates ("\ud800") that SQLite cannot store.
    value.encode("utf-8")
    return value


def _hex(value: Any, size: int, what: str) -> bytes:
    if not isinstance(value, str) or len(value) != size * 2:
        raise ManifestError("bad_header", f"{what} must be {size} bytes of hex")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise ManifestError("bad_header", f"{what} is not hex") from None


def _parse_header(line: bytes) -> ManifestHeader:
    try:
        data = json.loads(line)
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except _JSON_ERRORS:
        raise ManifestError("not_manifest",
                            "not a GateScan manifest (first line is not JSON)") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ManifestError("not_manifest", "not a GateScan manifest")
    version = data.get("version")
    if type(version) is not int or version not in VERSIONS:
        raise ManifestError("bad_version", f"unsupported manifest version {data.get('version')!r}")
    seq, gen = data.get("sequence"), data.get("generated_at")
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq <= MAX_INT64:
        raise ManifestError("bad_header", "sequence must be a non-negative integer")
    if not isinstance(gen, int) or isinstance(gen, bool) or not 0 <= gen <= MAX_INT64:
        raise ManifestError("bad_header", "generated_at must be a unix time")
    try:
        policy = EventPolicy.from_dict(data.get("policy"))
    except PolicyError as exc:
        raise ManifestError("bad_policy", str(exc)) from None
    raw_keys = data.get("keys")
    if not isinstance(raw_keys, list) or not raw_keys or len(raw_keys) > 64:
        raise ManifestError("bad_header", "keys must be a non-empty list")
    keys = _key_list(raw_keys)
    raw_withdrawn = data.get("withdrawn_keys", [])
    if not isinstance(raw_withdrawn, list) or len(raw_withdrawn) > 64:
        raise ManifestError("bad_header", "withdrawn_keys must be a list")
    withdrawn = _key_list(raw_withdrawn)
    header = ManifestHeader(seq, gen, _hex(data.get("signer"), 4, "signer"), policy, keys,
                            withdrawn, int(version))
    signer = header.signer_key()
    if any(k.public_key == signer.public_key for k in withdrawn):
        raise ManifestError("bad_header", "the signer cannot withdraw its own key")
    return header


def _key_list(raw: list[Any]) -> tuple[TrustedKey, ...]:
    keys = []
    for k in raw:
        if not isinstance(k, dict):
            raise ManifestError("bad_header", "each key must be an object")
        public = _hex(k.get("public_key"), 32, "public_key")
        if _hex(k.get("kid"), 4, "kid") != key_id(public):
            raise ManifestError("bad_header", "key id does not match its public key")
        keys.append(TrustedKey(key_id(public), public))
    return tuple(keys)


# The writer's canonical ticket line: ASCII digits, `null` or a string without escapes.
# json.loads costs several microseconds a line; this exact subset is matched first.
_STRING = rb'(?:null|"([^"\\\x00-\x1f]*)")'
_TICKET_LINE = re.compile(
    rb'\["t",(0|[1-9][0-9]{0,18}),(0|[1-9][0-9]{0,4}),(0|[1-9][0-9]{0,4}),' + _STRING
    + rb'(,' + _STRING + rb',' + _STRING + rb')?\]\n')  # name, order code: opt-in events


# A block of canonical ticket lines without attendee fields, as the writer makes them: one
# C-level `findall` per block instead of a regex, a list and checks per line in Python.
_TICKET_ROW = re.compile(
    r'^\["t",(0|[1-9][0-9]{0,18}),(0|[1-9][0-9]{0,4}),(0|[1-9][0-9]{0,4}),'
    r'(?:(null)|"([^"\\\x00-\x1f]*)")\]\n', re.M)
BLOCK = 1024 * 1024  # bytes read at a time


def _canonical_tickets(block: bytes) -> list[TicketRow] | None:
    """The ticket rows of a block made only of canonical ticket lines in range, else None.

    None sends the block through the line-by-line parser, which finds the same
    rows or names the offending line.
    """
    try:
        text = block.decode("utf-8")  # strict: no encoded lone surrogates (SQLite refuses them)
    except UnicodeDecodeError:
        return None
    found = _TICKET_ROW.findall(text)
    if not found or len(found) != text.count("\n"):
        return None  # another kind of line (each match is exactly one whole line)
    tid_s, type_s, serial_s, nulls, seat_s = zip(*found, strict=True)
    tids, types, serials = list(map(int, tid_s)), list(map(int, type_s)), list(map(int, serial_s))
    if max(tids) > 2**63 - 1 or max(types) > 0xFFFF or max(serials) > 0xFFFF \
            or max(map(len, seat_s)) > 64:
        return None
    seats = [None if null else seat for null, seat in zip(nulls, seat_s, strict=True)]
    return list(zip(tids, types, serials, seats, strict=True))


def _at_most(limit: int) -> bytes:
    """A regex matching the JSON integers 0..`limit` (no sign, no leading zero, no exponent)."""
    digits = str(limit)
    size = len(digits)
    same = []  # as many digits as `limit`: a smaller digit at some place, any digits after
    for i, d in enumerate(digits):
        low = 1 if i == 0 else 0
        if int(d) > low:
            rest = size - i - 1
            same.append(digits[:i] + f"[{low}-{int(d) - 1}]" + (rf"\d{{{rest}}}" if rest else ""))
    same.append(digits)
    shorter = [rf"[1-9]\d{{0,{size - 2}}}"] if size > 1 else []
    return ("(?:" + "|".join([*same, *shorter, "0"]) + ")").encode()


# A block of ticket lines exactly as the writer makes them, every value in range: json.loads
# of each line and SQLite's JSON parser agree on every value (integers within int64, strings
# without escapes or control characters, which must also decode as strict UTF-8). A seat of
# up to 64 bytes (the limit is 64 characters: longer UTF-8 seats take the line parser).
_TICKET_BLOCK = re.compile(
    rb'(?:\["t",' + _at_most(MAX_INT64) + rb',' + _at_most(0xFFFF) + rb',' + _at_most(0xFFFF)
    + rb',(?:null|"[^"\\\x00-\x1f]{0,64}")\]\n)+')


def _ticket_array(block: bytes) -> str | None:
    """The block as one JSON array of its records if it is only canonical, in-range 5-field
    ticket lines (see `_TICKET_BLOCK`), else None (the block takes the other paths)."""
    if _TICKET_BLOCK.fullmatch(block) is None:
        return None
    try:
        text = block.decode("utf-8")  # strict: no encoded lone surrogates
    except UnicodeDecodeError:
        return None
    return "[" + text[:-1].replace("\n", ",") + "]"


def _str_or_none(raw: bytes | None) -> str | None:
    # Same decoding as json.loads(bytes): UTF-8 with surrogatepass.
    return None if raw is None else raw.decode("utf-8", "surrogatepass")


def _load_record(line: bytes, loads: Any = json.loads) -> Any:
    """One record line as `json.loads(line)` would return it (fast for canonical tickets)."""
    m = _TICKET_LINE.fullmatch(line)
    if m is None:
        return loads(line)
    tid, type_id, serial, seat, tail, name, order = m.groups()
    record = ["t", int(tid), int(type_id), int(serial), _str_or_none(seat)]
    if tail is not None:
        record += [_str_or_none(name), _str_or_none(order)]
    return record


def _text(value: Any, limit: int) -> str | None:
    """An optional attendee field: null, or 1 to `limit` characters of storable text."""
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        raise ValueError("bad attendee field")
    return _utf8(value)


def _credential(value: Any) -> CredentialRow:
    """A credential record's (ticket_id, serial, bytes): canonical base64url of 125 bytes
    that parse as a v1 credential (its signature is the verifier's to check)."""
    if not isinstance(value, str) or len(value) != CREDENTIAL_B64_LEN:
        raise ValueError("bad credential")
    if not value.isascii() or not all(c.isalnum() or c in "-_" for c in value):
        raise ValueError("bad credential")
    cred = parse_credential(unb64url(value)).credential
    return cred.ticket_id, cred.serial, unb64url(value)


def _int_field(value: Any, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError("bad integer")
    return value


class ManifestReader:
    """Streams a manifest: header first, then record batches, signature checked at the end.

    Callers must treat everything read as provisional until iteration of
    `batches()` finishes without `ManifestError` (that is when the trailer's
    signature has been checked).
    """

    def __init__(self, source: IO[bytes], *, batch_size: int = 20_000,
                 ticket_arrays: bool = False) -> None:
        self._src = source
        self._ticket_arrays = ticket_arrays  # see Batch.ticket_array
        self._hash = hashlib.sha256()
        self._batch_size = batch_size
        self._line_no = 1
        self._after_trailer = b""
        first = source.readline(MAX_HEADER + 1)
        if not first:
            raise ManifestError("empty", "manifest file is empty")
        if not first.endswith(b"\n"):
            raise ManifestError("truncated", "manifest header is truncated or too large")
        self._hash.update(first)
        self.header = _parse_header(first)
        self.tickets = 0
        self.revocations = 0

    def batches(self) -> Iterator[Batch]:
        """Yield record batches; raises `ManifestError` on any defect, including at the end."""
        tickets: list[TicketRow] = []
        revocations: list[RevocationRow] = []
        attendees: list[AttendeeRow] = []
        creds: list[CredentialRow] = []
        read = 0
        for block, last in self._blocks():
            read += len(block)
            trailer = b""
            if last:  # the trailer is the last line: everything before it is records
                cut = block.rfind(b"\n", 0, len(block) - 1) + 1
                block, trailer = block[:cut], block[cut:]
            array = _ticket_array(block) if self._ticket_arrays else None
            rows = None if array is not None else _canonical_tickets(block)
            if array is not None:  # the bulk, parsed by the consumer
                if tickets or revocations or creds:  # listed before this block: loaded first
                    yield Batch(tickets, revocations, 0, attendees, credentials=creds)
                    self.tickets += len(tickets)
                    self.revocations += len(revocations)
                    tickets, revocations, attendees, creds = [], [], [], []
                self._hash.update(block)
                count = block.count(b"\n")
                self._line_no += count
                self.tickets += count
                yield Batch([], [], read, ticket_array=array)
                read = 0
            elif rows is not None:  # the whole block is canonical ticket lines (the bulk)
                self._hash.update(block)
                self._line_no += len(rows)
                tickets += rows
            else:
                self._records(block, tickets, revocations, attendees, creds)
            if trailer:
                self._line_no += 1
                if not trailer.endswith(b"\n") or len(trailer) > MAX_LINE + 1:
                    raise ManifestError("truncated",
                                        f"manifest truncated at line {self._line_no}")
                self.tickets += len(tickets)
                self.revocations += len(revocations)
                self._check_trailer(trailer)
                if tickets or revocations or creds:
                    yield Batch(tickets, revocations, read, attendees, credentials=creds)
                return
            if len(tickets) + len(revocations) + len(creds) >= self._batch_size:
                yield Batch(tickets, revocations, read, attendees, credentials=creds)
                self.tickets += len(tickets)
                self.revocations += len(revocations)
                tickets, revocations, attendees, creds, read = [], [], [], [], 0
        raise ManifestError("truncated", "manifest is truncated (no signed trailer)")

    def _blocks(self) -> Iterator[tuple[bytes, bool]]:
        """(whole lines, does it end with the trailer), about `BLOCK` bytes at a time.

        A line that does not end (end of file, or longer than `MAX_LINE`) comes
        last and unterminated; a line starting with `{` ends the records, and
        what follows it is kept for `_check_trailer`.
        """
        pending = b""
        while True:
            chunk = self._src.read(BLOCK)
            data = pending + chunk
            final = not chunk
            cut = len(data) if final else data.rfind(b"\n") + 1
            if cut == 0 and len(data) > MAX_LINE:
                cut, final = MAX_LINE + 1, True  # too long: unterminated, reported as truncated
            block, pending = data[:cut], data[cut:]
            at = 0 if block.startswith(b"{") else block.find(b"\n{") + 1
            if at or block.startswith(b"{"):
                end = block.find(b"\n", at) + 1 or len(block)
                self._after_trailer = block[end:] + pending
                yield block[:end], True
                return
            if block:
                yield block, False
            if final:
                return

    def _records(self, block: bytes, tickets: list[TicketRow],
                 revocations: list[RevocationRow], attendees: list[AttendeeRow],
                 credentials: list[CredentialRow]) -> None:
        """Parse and check a block line by line (records other than canonical tickets)."""
        with_attendees = self.header.policy.attendee_data
        loads = json.loads
        for line in block.splitlines(keepends=True):
            self._line_no += 1
            if not line.endswith(b"\n") or len(line) > MAX_LINE + 1:
                raise ManifestError("truncated", f"manifest truncated at line {self._line_no}")
            self._hash.update(line)
            try:
                rec = _load_record(line, loads)
                kind = rec[0]
                if kind == "t" and (len(rec) == 5 or (len(rec) == 7 and with_attendees)):
                    seat = rec[4]
                    if seat is not None and (not isinstance(seat, str) or len(seat) > 64):
                        raise ValueError("bad seat")
                    if seat is not None:
                        _utf8(seat)
                    tickets.append((_int_field(rec[1], 0, 2**63 - 1),
                                    _int_field(rec[2], 0, 0xFFFF),
                                    _int_field(rec[3], 0, 0xFFFF), seat))
                    if len(rec) == 7 and (rec[5] is not None or rec[6] is not None):
                        attendees.append((_text(rec[5], MAX_NAME), _text(rec[6], MAX_ORDER_CODE),
                                          tickets[-1][0]))
                elif kind == "r" and len(rec) == 4:
                    serial = None if rec[2] is None else _int_field(rec[2], 0, 0xFFFF)
                    if not isinstance(rec[3], str) or len(rec[3]) > 200:
                        raise ValueError("bad reason")
                    revocations.append((_int_field(rec[1], 0, 2**63 - 1), serial, _utf8(rec[3])))
                elif kind == "c" and len(rec) == 2 and self.header.version >= 2:
                    credentials.append(_credential(rec[1]))
                else:
                    raise ValueError("unknown record")
            except (*_JSON_ERRORS, TypeError, IndexError, KeyError, WireError):
                message = f"manifest line {self._line_no} is not a valid record"
                raise ManifestError("bad_record", message) from None

    def _check_trailer(self, line: bytes) -> None:
        try:
            data = json.loads(line)
            sig = bytes.fromhex(data["sig"])
            counts = (data["tickets"], data["revocations"])
        except (*_JSON_ERRORS, TypeError, KeyError):
            raise ManifestError("bad_trailer", "manifest trailer is damaged") from None
        if data.get("end") is not True or len(sig) != 64:
            raise ManifestError("bad_trailer", "manifest trailer is damaged")
        if self._after_trailer or self._src.read(1):
            raise ManifestError("bad_trailer", "data after the manifest trailer")
        signer = self.header.signer_key()
        if not _verify(signer.public_key, MANIFEST_DOMAIN + self._hash.digest(), sig):
            raise ManifestError("bad_signature",
                                "manifest signature does not match: file was altered or damaged")
        if counts != (self.tickets, self.revocations):
            raise ManifestError("bad_trailer", "manifest record counts do not match its trailer")
        # The trailer is outside the signed hash: accept only the one byte string the
        # writer produces, so no byte of a manifest can change without rejection.
        canonical = {"end": True, "tickets": self.tickets, "revocations": self.revocations,
                     "sig": sig.hex()}
        if line != _trailer_line(canonical):
            raise ManifestError("bad_trailer", "manifest trailer is not in canonical form")
