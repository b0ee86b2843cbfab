"""Token format v1: round trip, published test vectors, hostile input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from nacl.signing import SigningKey

from gatescan.protocol.token import (
    CREDENTIAL_LEN,
    TEXT_PREFIX,
    TOKEN_LEN,
    Credential,
    TokenError,
    build_token,
    decode_text,
    encode_text,
    format_ticket_id,
    key_id,
    parse_ticket_id,
    parse_token,
    sign_credential,
    step_for,
)
from tests.factories import T0, Issuer

VECTORS = json.loads((Path(__file__).parent / "vectors.json").read_text())
QR_ALPHANUMERIC = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


def test_round_trip_keeps_every_field() -> None:
    issuer = Issuer()
    phone = issuer.issue(0x0123_4567_89AB_CDEF, type_id=3, serial=2)
    token = parse_token(phone.token(T0))
    assert token.credential == phone.credential
    assert token.step == step_for(T0, 30)
    assert token.issuer_signature_ok(issuer.public)
    assert token.holder_signature_ok()


def test_token_fits_the_qr_budget() -> None:
    text = Issuer().issue(1).token(T0)
    assert len(decode_text(text)) == TOKEN_LEN <= 200
    # QR version 10 at error correction M holds 311 alphanumeric characters.
    assert len(text) <= 311
    assert set(text) <= QR_ALPHANUMERIC
    assert text.startswith(TEXT_PREFIX) and text == text.strip()


def test_surrounding_whitespace_is_ignored() -> None:
    phone = Issuer().issue(9)
    text = phone.token(T0)
    assert parse_token(f"  {text}\r\n").credential == phone.credential


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: f"ticket-{v['ticket_id']}")
def test_published_vectors_match_the_code(vector: dict[str, object]) -> None:
    issuer = SigningKey(bytes.fromhex(str(vector["issuer_seed"])))
    holder = SigningKey(bytes.fromhex(str(vector["holder_seed"])))
    assert bytes(issuer.verify_key).hex() == vector["issuer_public"]
    assert key_id(bytes(issuer.verify_key)).hex() == vector["kid"]
    cred = Credential(
        key_id(bytes(issuer.verify_key)), int(vector["event_id"]),  # type: ignore[call-overload]
        int(vector["ticket_id"]), int(vector["type_id"]),  # type: ignore[call-overload]
        int(vector["serial"]), int(vector["valid_from"]),  # type: ignore[call-overload]
        int(vector["valid_until"]), bytes(holder.verify_key),  # type: ignore[call-overload]
    )
    step = step_for(float(vector["unix_time"]), int(vector["period"]))  # type: ignore[arg-type, call-overload]
    assert step == vector["step"]
    text = build_token(sign_credential(cred, issuer), holder, step)
    assert text == vector["token_text"]
    assert decode_text(text).hex() == vector["token_hex"]
    parsed = parse_token(str(vector["token_text"]))
    assert parsed.credential == cred
    assert parsed.issuer_signature_ok(bytes(issuer.verify_key))
    assert parsed.holder_signature_ok()


def test_vectors_are_in_the_docs() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "token-format.md").read_text()
    for vector in VECTORS:
        assert str(vector["token_text"]) in doc


def test_token_rotates_each_period_and_is_stable_within_one() -> None:
    phone = Issuer().issue(5)
    start = (T0 // 30) * 30
    assert phone.token(start) == phone.token(start + 29.9)
    assert phone.token(start) != phone.token(start + 30)


def test_holder_signature_covers_the_credential() -> None:
    issuer = Issuer()
    a, b = issuer.issue(1), issuer.issue(2)
    raw_a = bytearray(decode_text(a.token(T0)))
    raw_b = decode_text(b.token(T0))
    # Graft phone A's step signature onto ticket B's credential: must not verify.
    raw_a[:CREDENTIAL_LEN] = raw_b[:CREDENTIAL_LEN]
    grafted = parse_token(encode_text(bytes(raw_a)))
    assert grafted.issuer_signature_ok(issuer.public)
    assert not grafted.holder_signature_ok()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("hello world", "not_gatescan"),
        ("https://example.org/ticket", "not_gatescan"),
        ("GS1:hello world", "not_base45"),
        ("GS1:", "empty"),
        ("A" * 5000, "too_long"),
        (encode_text(b"\x02" + bytes(192)), "bad_version"),
        (encode_text(b"\x01" + bytes(10)), "bad_length"),
        ("GSENROLL1:abc", "not_gatescan"),
    ],
)
def test_bad_texts_get_typed_errors(text: str, code: str) -> None:
    with pytest.raises(TokenError) as info:
        parse_token(text)
    assert info.value.code == code


PARSE_ERRORS = {"not_text", "empty", "too_long", "not_gatescan", "not_base45", "bad_version",
                "bad_length", "bad_ticket_id"}


def parses_or_fails_cleanly(text: str | bytes) -> None:
    """A `Token` of exactly TOKEN_LEN bytes, or a `TokenError` with a documented code."""
    try:
        token = parse_token(text)
    except TokenError as exc:
        assert exc.code in PARSE_ERRORS and exc.message, exc.code
    else:
        assert len(token.raw) == TOKEN_LEN and token.raw[0] == 1


@given(st.text(max_size=600))
def test_parser_never_raises_anything_else_on_text(text: str) -> None:
    parses_or_fails_cleanly(text)


@given(st.binary(max_size=600))
def test_parser_never_raises_anything_else_on_bytes(data: bytes) -> None:
    parses_or_fails_cleanly(data)


@given(st.binary(min_size=TOKEN_LEN, max_size=TOKEN_LEN))
def test_random_token_bytes_parse_or_fail_cleanly(data: bytes) -> None:
    text = encode_text(b"\x01" + data[1:])
    try:
        token = parse_token(text)
    except TokenError as exc:
        assert exc.code == "bad_ticket_id"
        return
    # Random bytes are never a validly signed token.
    assert not token.holder_signature_ok()
    assert not token.issuer_signature_ok(bytes(32))


@given(st.integers(min_value=0, max_value=2**63 - 1))
def test_ticket_id_text_round_trip(ticket_id: int) -> None:
    assert parse_ticket_id(format_ticket_id(ticket_id)) == ticket_id


@given(st.text(max_size=40))
def test_ticket_id_parser_only_raises_token_error(text: str) -> None:
    try:
        value = parse_ticket_id(text)
    except TokenError as exc:
        assert exc.code == "bad_ticket_id"
    else:
        assert 0 <= value <= 2**63 - 1


def test_signing_with_the_wrong_key_is_refused() -> None:
    issuer = Issuer()
    phone = issuer.issue(1)
    with pytest.raises(ValueError):
        sign_credential(phone.credential, SigningKey.generate())
