"""Token formats: v1 (`GS1:`, the issuer-signed credential plus a holder-signed time step)
and v2 (`GS2:`, the compact code: ticket, serial, step and holder signature only, checked
against the signed credential the gate already holds).

The layouts are documented byte by byte in docs/token-format.md. This module is
pure (no I/O): it builds tokens (for the issuer and the simulated wallet),
parses them into typed values, and checks their signatures. Every parse
failure is a `TokenError` with a stable `code`; nothing else escapes.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

import base45
from nacl.exceptions import BadSignatureError, CryptoError
from nacl.signing import SigningKey, VerifyKey

VERSION = 1
TEXT_PREFIX = "GS1:"  # marks a GateScan v1 code; also keeps Base45's space digit off the front
CREDENTIAL_DOMAIN = b"GATESCAN/v1/credential"
STEP_DOMAIN = b"GATESCAN/v1/step"
COMPACT_VERSION = 2
COMPACT_PREFIX = "GS2:"  # marks a GateScan v2 (compact) code
COMPACT_STEP_DOMAIN = b"GATESCAN/v2/step"

# version, key id, event id, ticket id, type id, serial, valid_from, valid_until, holder key
_CRED = struct.Struct(">B4sIQHHII32s")
_STEP = struct.Struct(">I")
SIG_LEN = 64
CREDENTIAL_LEN = _CRED.size + SIG_LEN  # 61 + 64 = 125
TOKEN_LEN = CREDENTIAL_LEN + _STEP.size + SIG_LEN  # 125 + 4 + 64 = 193
MAX_TEXT_LEN = 400  # generous bound checked before any decoding work
MAX_TICKET_ID = 2**63 - 1  # fits a SQLite INTEGER
# Times a person may type (`--at`): from 2000-01-01 to the last second a u32 time step can
# name. Earlier is a typo (a negative number, milliseconds divided wrongly), never an event.
MIN_TYPED_TIME = 946_684_800
MAX_TYPED_TIME = 0xFFFFFFFF


class TokenError(ValueError):
    """A token text that is not a well-formed GateScan token (v1 or v2)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def key_id(public_key: bytes) -> bytes:
    """The 4-byte key id of an Ed25519 public key: the first bytes of its SHA-256."""
    return hashlib.sha256(public_key).digest()[:4]


def format_ticket_id(ticket_id: int) -> str:
    """The printed form of a ticket id: 16 lowercase hex digits."""
    return f"{ticket_id:016x}"


def parse_unix_time(text: str) -> float:
    """A typed unix time in seconds, checked to be a plausible date; raises ValueError."""
    try:
        number = float(text)
    except (TypeError, ValueError):
        raise ValueError(f"{text!r} is not a unix time in seconds") from None
    if not MIN_TYPED_TIME <= number <= MAX_TYPED_TIME:  # also refuses nan and inf
        raise ValueError(f"{text!r} is out of range (a unix time from {MIN_TYPED_TIME}, "
                         f"2000-01-01, to {MAX_TYPED_TIME})")
    return number


def parse_ticket_id(text: str) -> int:
    """Parse the printed form of a ticket id (hex, spaces and dashes ignored)."""
    cleaned = text.strip().replace("-", "").replace(" ", "").lower()
    if not cleaned or len(cleaned) > 16 or any(c not in "0123456789abcdef" for c in cleaned):
        raise TokenError("bad_ticket_id", f"not a ticket id: {text[:40]!r}")
    value = int(cleaned, 16)
    if value > MAX_TICKET_ID:
        raise TokenError("bad_ticket_id", "ticket id out of range")
    return value


@dataclass(frozen=True, slots=True)
class Credential:
    """What the issuer signs: which ticket, for whom (holder key), and when it is valid."""

    kid: bytes
    event_id: int
    ticket_id: int
    type_id: int
    serial: int
    valid_from: int
    valid_until: int
    holder_key: bytes

    def body(self) -> bytes:
        """The credential bytes the issuer signature covers (after the domain prefix)."""
        return _CRED.pack(
            VERSION,
            self.kid,
            self.event_id,
            self.ticket_id,
            self.type_id,
            self.serial,
            self.valid_from,
            self.valid_until,
            self.holder_key,
        )


@dataclass(frozen=True, slots=True)
class Token:
    """A parsed token: the credential, its issuer signature, the time step and holder signature."""

    credential: Credential
    issuer_sig: bytes
    step: int
    holder_sig: bytes
    raw: bytes

    @property
    def signed_credential(self) -> bytes:
        """Credential body followed by the issuer signature (what the holder signature covers)."""
        return self.raw[:CREDENTIAL_LEN]

    def issuer_signature_ok(self, issuer_key: bytes) -> bool:
        """True if `issuer_key` (32 raw bytes) signed this credential."""
        return _verify(issuer_key, CREDENTIAL_DOMAIN + self.raw[: _CRED.size], self.issuer_sig)

    def holder_signature_ok(self) -> bool:
        """True if the credential's holder key signed this time step over this credential."""
        message = STEP_DOMAIN + self.raw[: CREDENTIAL_LEN + _STEP.size]
        return _verify(self.credential.holder_key, message, self.holder_sig)


def _verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    try:
        VerifyKey(public_key).verify(message, signature)
    except (BadSignatureError, CryptoError, ValueError, TypeError):
        # CryptoError/ValueError: a public key that is not a valid curve point.
        return False
    return True


def sign_credential(credential: Credential, issuer: SigningKey) -> bytes:
    """Issuer side: the 125-byte signed credential (body + issuer signature)."""
    if credential.kid != key_id(bytes(issuer.verify_key)):
        raise ValueError("credential key id does not match the signing key")
    if not 0 <= credential.ticket_id <= MAX_TICKET_ID:
        raise ValueError("ticket id out of range")
    body = credential.body()
    return body + issuer.sign(CREDENTIAL_DOMAIN + body).signature


def step_for(unix_time: float, period: int) -> int:
    """The time step a phone shows at `unix_time` for a rotation `period` in seconds."""
    return int(unix_time // period)


def build_token(signed_credential: bytes, holder: SigningKey, step: int) -> str:
    """Holder side (the phone): the token text for one time step."""
    if len(signed_credential) != CREDENTIAL_LEN:
        raise ValueError("signed credential must be 125 bytes")
    head = signed_credential + _STEP.pack(step)
    raw = head + holder.sign(STEP_DOMAIN + head).signature
    return encode_text(raw)


def encode_text(raw: bytes) -> str:
    """Token text: the `GS1:` prefix and the Base45 (RFC 9285) of the raw bytes.

    Every character is in QR alphanumeric mode.
    """
    return TEXT_PREFIX + str(base45.b45encode(raw).decode("ascii"))


def decode_text(text: str) -> bytes:
    """Raw bytes of a token text (prefix checked); raises `TokenError` only."""
    if not text.startswith(TEXT_PREFIX):
        raise TokenError("not_gatescan", "not a GateScan ticket code")
    try:
        return bytes(base45.b45decode(text[len(TEXT_PREFIX):]))
    except (ValueError, KeyError, TypeError, IndexError, UnicodeError):
        raise TokenError("not_base45", "damaged GateScan ticket code (bad characters)") from None


def _clean_text(text: str | bytes) -> str:
    """The code's text, surrounding whitespace stripped and bounded; raises `TokenError`."""
    if isinstance(text, bytes):
        try:
            text = text.decode("ascii")
        except UnicodeDecodeError:
            raise TokenError("not_text", "code is not ASCII text") from None
    if not isinstance(text, str):
        raise TokenError("not_text", "code is not text")
    # Whitespace around the code (a wedge scanner's Enter, a pasted newline) is not part of
    # it; inside, space is a Base45 digit and is kept.
    text = text.strip(" \r\n\t\x00")
    if not text:
        raise TokenError("empty", "empty code")
    if len(text) > MAX_TEXT_LEN:
        raise TokenError("too_long", f"code is {len(text)} characters, too long for a ticket")
    return text


def parse_token(text: str | bytes) -> Token:
    """Parse v1 token text into a `Token`; raises only `TokenError` whatever the input."""
    raw = decode_text(_clean_text(text))
    if not raw:
        raise TokenError("empty", "empty code")
    if raw[0] != VERSION:
        raise TokenError("bad_version", f"unknown ticket code version {raw[0]}")
    if len(raw) != TOKEN_LEN:
        raise TokenError("bad_length", f"ticket code has {len(raw)} bytes, expected {TOKEN_LEN}")
    return _token(raw)


def _token(raw: bytes) -> Token:
    """A `Token` of 193 raw bytes whose version byte is checked."""
    (_, kid, event_id, ticket_id, type_id, serial, valid_from, valid_until, holder_key) = (
        _CRED.unpack_from(raw, 0)
    )
    if ticket_id > MAX_TICKET_ID:
        raise TokenError("bad_ticket_id", "ticket id out of range")
    (step,) = _STEP.unpack_from(raw, CREDENTIAL_LEN)
    credential = Credential(
        kid=kid,
        event_id=event_id,
        ticket_id=ticket_id,
        type_id=type_id,
        serial=serial,
        valid_from=valid_from,
        valid_until=valid_until,
        holder_key=holder_key,
    )
    return Token(
        credential=credential,
        issuer_sig=raw[_CRED.size:CREDENTIAL_LEN],
        step=step,
        holder_sig=raw[CREDENTIAL_LEN + _STEP.size:],
        raw=raw,
    )


def parse_credential(signed: bytes) -> Token:
    """A 125-byte signed credential as a `Token` whose step and holder signature are zero
    (what a gate stores for v2 codes); raises `TokenError`."""
    if len(signed) != CREDENTIAL_LEN:
        raise TokenError("bad_length", f"a credential has {CREDENTIAL_LEN} bytes")
    if signed[0] != VERSION:
        raise TokenError("bad_version", f"unknown credential version {signed[0]}")
    return _token(bytes(signed) + bytes(TOKEN_LEN - CREDENTIAL_LEN))


# -- v2: the compact code -----------------------------------------------------------------

# version, event tag (low byte of the event id), ticket id, serial, low 16 bits of the step
_COMPACT = struct.Struct(">BBQHH")
COMPACT_LEN = _COMPACT.size + SIG_LEN  # 14 + 64 = 78
STEP16 = 1 << 16


@dataclass(frozen=True, slots=True)
class CompactToken:
    """A parsed v2 code: which ticket and serial, the step's low bits, the holder signature.

    Nothing in it is trustworthy until `holder_signature_ok` holds against the
    signed credential the gate holds for (ticket_id, serial) and was itself
    checked against a trusted issuer key.
    """

    event_tag: int
    ticket_id: int
    serial: int
    step16: int
    holder_sig: bytes
    raw: bytes

    def full_step(self, now_step: int) -> int:
        """The step nearest `now_step` whose low 16 bits are `step16` (ties go back)."""
        return nearest_step(self.step16, now_step)

    def holder_signature_ok(self, signed_credential: bytes, step: int) -> bool:
        """True if the credential's holder key signed `step` over this signed credential,
        and the code names that credential's event, ticket and serial."""
        cred = parse_credential(signed_credential).credential
        if (cred.event_id & 0xFF, cred.ticket_id, cred.serial) != (
                self.event_tag, self.ticket_id, self.serial) or not 0 <= step <= 0xFFFFFFFF:
            return False
        return _verify(cred.holder_key, compact_message(signed_credential, step),
                       self.holder_sig)


def nearest_step(step16: int, now_step: int) -> int:
    """The step within [now_step - 32768, now_step + 32767] whose low 16 bits are `step16`."""
    delta = (step16 - now_step) % STEP16
    if delta >= STEP16 // 2:
        delta -= STEP16
    return now_step + delta


def compact_message(signed_credential: bytes, step: int) -> bytes:
    """What a v2 holder signature covers: the domain, the whole signed credential, the
    full u32 step (the code carries only its low 16 bits)."""
    return COMPACT_STEP_DOMAIN + signed_credential + _STEP.pack(step)


def build_compact_token(signed_credential: bytes, holder: SigningKey, step: int) -> str:
    """Holder side (the phone): the v2 code text for one time step."""
    if len(signed_credential) != CREDENTIAL_LEN:
        raise ValueError("signed credential must be 125 bytes")
    cred = parse_credential(signed_credential).credential
    signature = holder.sign(compact_message(signed_credential, step)).signature
    raw = _COMPACT.pack(COMPACT_VERSION, cred.event_id & 0xFF, cred.ticket_id, cred.serial,
                        step % STEP16) + signature
    return COMPACT_PREFIX + str(base45.b45encode(raw).decode("ascii"))


def parse_compact(text: str | bytes) -> CompactToken:
    """Parse v2 code text into a `CompactToken`; raises only `TokenError` whatever the input."""
    text = _clean_text(text)
    if not text.startswith(COMPACT_PREFIX):
        raise TokenError("not_gatescan", "not a GateScan ticket code")
    try:
        raw = bytes(base45.b45decode(text[len(COMPACT_PREFIX):]))
    except (ValueError, KeyError, TypeError, IndexError, UnicodeError):
        raise TokenError("not_base45", "damaged GateScan ticket code (bad characters)") from None
    if not raw:
        raise TokenError("empty", "empty code")
    if raw[0] != COMPACT_VERSION:
        raise TokenError("bad_version", f"unknown compact code version {raw[0]}")
    if len(raw) != COMPACT_LEN:
        raise TokenError("bad_length",
                         f"compact code has {len(raw)} bytes, expected {COMPACT_LEN}")
    _, tag, ticket_id, serial, step16 = _COMPACT.unpack_from(raw, 0)
    if ticket_id > MAX_TICKET_ID:
        raise TokenError("bad_ticket_id", "ticket id out of range")
    return CompactToken(tag, ticket_id, serial, step16, raw[_COMPACT.size:], raw)


def is_compact(text: str | bytes) -> bool:
    """Whether the text is meant as a v2 code (its prefix, after surrounding whitespace)."""
    if isinstance(text, bytes):
        return text[:40].lstrip(b" \r\n\t\x00").startswith(COMPACT_PREFIX.encode())
    return isinstance(text, str) and text[:40].lstrip(" \r\n\t\x00").startswith(COMPACT_PREFIX)
