"""Token format v2 (the compact code): published vectors, step reconstruction, QR size,
hostile input."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import base45
import pytest
import segno
from hypothesis import given
from hypothesis import strategies as st
from nacl.signing import SigningKey

from gatescan.protocol.token import (
    COMPACT_LEN,
    COMPACT_PREFIX,
    CREDENTIAL_LEN,
    CompactToken,
    Credential,
    TokenError,
    build_compact_token,
    compact_message,
    is_compact,
    key_id,
    nearest_step,
    parse_compact,
    parse_credential,
    parse_token,
    sign_credential,
    step_for,
)
from tests.factories import T0, Issuer

VECTORS = json.loads((Path(__file__).parent / "vectors.json").read_text())
DOC = Path(__file__).parents[2] / "docs" / "token-format.md"
QR_ALPHANUMERIC = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


def _b45(raw: bytes) -> str:
    return str(base45.b45encode(raw).decode("ascii"))


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: f"ticket-{v['ticket_id']}")
def test_published_compact_vectors_match_the_code(vector: dict[str, object]) -> None:
    issuer = SigningKey(bytes.fromhex(str(vector["issuer_seed"])))
    holder = SigningKey(bytes.fromhex(str(vector["holder_seed"])))
    signed = bytes.fromhex(str(vector["token_hex"]))[:CREDENTIAL_LEN]
    cred = parse_credential(signed).credential
    assert sign_credential(cred, issuer) == signed
    step = int(vector["step"])  # type: ignore[call-overload]
    text = build_compact_token(signed, holder, step)
    assert text == vector["compact_text"]
    assert text == COMPACT_PREFIX + _b45(bytes.fromhex(str(vector["compact_hex"])))
    code = parse_compact(str(vector["compact_text"]))
    assert (code.event_tag, code.ticket_id, code.serial) == (
        cred.event_id & 0xFF, cred.ticket_id, cred.serial)
    assert code.step16 == step % 65536
    assert code.full_step(step) == step
    assert code.holder_signature_ok(signed, step)
    assert not code.holder_signature_ok(signed, step + 65536)  # the full step is signed


def test_compact_vectors_are_in_the_docs() -> None:
    doc = DOC.read_text()
    for vector in VECTORS:
        assert str(vector["compact_text"]) in doc
        assert str(vector["compact_hex"]) in doc


def test_the_compact_code_is_78_bytes_121_characters_and_qr_version_5_m() -> None:
    phone = Issuer().issue(0x7FFF_FFFF_FFFF_FFFF, serial=0xFFFF)
    text = phone.compact(T0)
    assert len(parse_compact(text).raw) == COMPACT_LEN == 78
    assert len(text) == 121 and set(text) <= QR_ALPHANUMERIC and text == text.strip()
    compact = segno.make(text, error="m", micro=False, boost_error=False)
    full = segno.make(phone.token(T0), error="m", micro=False, boost_error=False)
    assert compact.version == 5 and compact.mode == "alphanumeric"  # target: 6-M or less
    assert full.version == 10


def test_v1_and_v2_signatures_never_stand_in_for_each_other() -> None:
    phone = Issuer().issue(5)
    step = step_for(T0, 30)
    v1 = parse_token(phone.token(T0))
    v2 = parse_compact(phone.compact(T0))
    assert v1.holder_sig != v2.holder_sig
    # The v1 signature under a v2 frame fails, and the v2 signature in a v1 frame fails.
    grafted = CompactToken(v2.event_tag, v2.ticket_id, v2.serial, v2.step16, v1.holder_sig,
                           v2.raw)
    assert not grafted.holder_signature_ok(phone.signed_credential, step)
    assert compact_message(phone.signed_credential, step).startswith(b"GATESCAN/v2/step")


def test_a_code_is_checked_only_against_its_own_ticket_and_serial() -> None:
    issuer = Issuer()
    phone, other = issuer.issue(5), issuer.issue(6)
    later = issuer.issue(5, serial=1)
    code = parse_compact(phone.compact(T0))
    step = step_for(T0, 30)
    assert code.holder_signature_ok(phone.signed_credential, step)
    assert not code.holder_signature_ok(other.signed_credential, step)
    assert not code.holder_signature_ok(later.signed_credential, step)


@given(st.integers(0, 2**32 - 1), st.integers(-32768, 32767))
def test_the_step_is_rebuilt_from_its_low_bits(now_step: int, offset: int) -> None:
    step = now_step + offset
    assert nearest_step(step % 65536, now_step) == step


@pytest.mark.parametrize("text,code", [
    ("", "empty"), ("GS2:", "empty"), ("GS2:20", "bad_length"), ("GS2:AB", "not_base45"),
    ("GS2:" + "0" * 117, "bad_version"), ("GS2:abc", "not_base45"),
    ("GS2:" + "Z" * 500, "too_long"),
    ("GS1:" + "0" * 10, "not_gatescan"),
])
def test_bad_compact_texts_get_typed_errors(text: str, code: str) -> None:
    with pytest.raises(TokenError) as err:
        parse_compact(text)
    assert err.value.code == code


def test_an_out_of_range_ticket_id_is_refused() -> None:
    raw = bytes([2, 7]) + (2**63).to_bytes(8, "big") + bytes(68)
    with pytest.raises(TokenError) as err:
        parse_compact(COMPACT_PREFIX + _b45(raw))
    assert err.value.code == "bad_ticket_id"


@given(st.text(max_size=300))
def test_compact_parser_never_raises_anything_else_on_text(text: str) -> None:
    for candidate in (text, COMPACT_PREFIX + text):
        with contextlib.suppress(TokenError):
            parse_compact(candidate)


@given(st.binary(max_size=200))
def test_compact_parser_never_raises_anything_else_on_bytes(data: bytes) -> None:
    with contextlib.suppress(TokenError):
        parse_compact(COMPACT_PREFIX.encode() + data)
    assert is_compact(COMPACT_PREFIX.encode() + data)


@given(st.binary(min_size=COMPACT_LEN, max_size=COMPACT_LEN), st.integers(0, 2**32 - 1))
def test_random_compact_bytes_parse_or_fail_cleanly_and_never_verify(data: bytes,
                                                                     now_step: int) -> None:
    raw = bytes([2]) + data[1:]
    try:
        code = parse_compact(COMPACT_PREFIX + _b45(raw))
    except TokenError as exc:
        assert exc.code == "bad_ticket_id"
        return
    phone = Issuer().issue(1)
    assert not code.holder_signature_ok(phone.signed_credential, code.full_step(now_step))


def test_a_credential_that_is_not_one_is_refused() -> None:
    with pytest.raises(TokenError):
        parse_credential(bytes(CREDENTIAL_LEN - 1))
    with pytest.raises(TokenError):
        parse_credential(bytes(CREDENTIAL_LEN))  # version 0
    issuer = SigningKey(bytes(32))
    cred = Credential(key_id(bytes(issuer.verify_key)), 1, 1, 1, 0, 0, 1, bytes(32))
    assert parse_credential(sign_credential(cred, issuer)).credential == cred
