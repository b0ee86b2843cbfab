"""Leaks closed: wallet status verifies first, enrollment guesses limited, no secrets in logs."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from nacl.signing import SigningKey

from gatescan.protocol.token import Credential, key_id, sign_credential
from gatescan.server import authtokens
from gatescan.server.api.limits import RateLimiter, source_of
from gatescan.server.redact import REDACTED, redact
from gatescan.server.wallet import links
from tests.server.client import FAR, Organizer

SCRIPT = Path(sys.executable).parent / "gatescan-server"


def _signed(phone: SigningKey, credential: bytes, at: int | None = None) -> dict[str, object]:
    at = int(time.time()) if at is None else at
    sig = phone.sign(links.request_message(links.STATUS_DOMAIN, credential, at)).signature
    return {"credential": credential.hex(), "at": at, "signature": sig.hex()}


def _forged(event_id: int, ticket_id: int, phone: SigningKey) -> bytes:
    """A well-formed credential signed by a key this server never had."""
    issuer = SigningKey.generate()
    return sign_credential(Credential(key_id(bytes(issuer.verify_key)), event_id, ticket_id, 1,
                                      0, 0, FAR, bytes(phone.verify_key)), issuer)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_wallet_status_does_not_say_which_tickets_exist(org: Organizer, server: str) -> None:
    event_id = org.event()
    (ticket, holder, credential), = org.issue(event_id, 1)
    stranger = SigningKey.generate()
    real = bytes.fromhex(credential)
    tries = {
        "real ticket, wrong holder signature": _signed(stranger, real),
        "real ticket id, forged credential": _signed(stranger, _forged(event_id, int(ticket, 16),
                                                                       stranger)),
        "unknown ticket, forged credential": _signed(stranger, _forged(event_id, 12345,
                                                                       stranger)),
        "unknown event, forged credential": _signed(stranger, _forged(event_id ^ 1, 12345,
                                                                      stranger)),
    }
    answers = {}
    with httpx.Client(base_url=server, timeout=30) as phone:
        for name, body in tries.items():
            r = phone.post("/api/v1/wallet/status", json=body)
            answers[name] = (r.status_code, r.json()["error"]["code"],
                             r.json()["error"]["message"])
        ok = phone.post("/api/v1/wallet/status", json=_signed(holder, real))
    assert ok.status_code == 200 and ok.json()["state"] == "current"
    assert len(set(answers.values())) == 1, answers
    assert next(iter(answers.values()))[:2] == (403, "forbidden")


def test_rate_limiter_refills_and_keeps_bounded_memory() -> None:
    now = [0.0]
    limiter = RateLimiter(3, 2.0, max_sources=100, clock=lambda: now[0])
    assert [limiter.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a") == pytest.approx(2.0)
    assert limiter.take("b") == 0.0  # another source has its own bucket
    now[0] = 3.0
    assert limiter.take("a") == 0.0 and limiter.take("a") > 0.0
    limiter.refund("a")  # a success gives its attempt back
    assert limiter.take("a") == 0.0 and limiter.take("a") > 0.0
    for i in range(10_000):
        limiter.take(f"10.0.{i // 256}.{i % 256}")
    assert len(limiter) == 100
    assert source_of("2001:db8::1") == source_of("2001:db8::ffff") == "2001:db8::/64"
    assert source_of("::ffff:192.0.2.7") == "192.0.2.7"


@pytest.mark.parametrize("backend", ["sqlite"])
def test_enrollment_guesses_are_rate_limited_and_logged_without_the_code(
        org: Organizer, server: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    event_id = org.event()
    for i in range(15):  # successes do not count: a venue enrolls many gates behind one NAT
        assert httpx.post(f"{server}/api/v1/device/enroll", json={
            "code": org.device(event_id, f"g{i}")["code"]}).status_code == 200
    real = org.device(event_id, "a")["code"]
    guesses = [authtokens.new_enrollment_code() for _ in range(40)]
    statuses = []
    retry = None
    with httpx.Client(base_url=server, timeout=30) as client:
        for guess in guesses:
            r = client.post("/api/v1/device/enroll", json={"code": guess})
            statuses.append(r.status_code)
            if r.status_code == 429:
                retry = r.headers.get("retry-after")
                assert r.json()["error"]["code"] == "rate_limited"
        assert client.post("/api/v1/device/enroll", json={"code": real}).status_code == 429
    assert statuses.count(404) <= 10 and statuses.count(429) >= 30, statuses
    assert retry is not None and int(retry) >= 1
    refused = [r for r in caplog.records if "enrollment refused" in r.getMessage()]
    assert len(refused) == statuses.count(404)
    assert all("code_unknown" in r.getMessage() and "127.0.0.1" in r.getMessage()
               for r in refused)
    for guess in [*guesses, real]:
        assert guess not in caplog.text and authtokens.normalize_code(guess) not in caplog.text


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_access_log_of_the_real_server_redacts_secrets_in_query_strings(
        tmp_path: Path) -> None:
    if not SCRIPT.exists():
        pytest.fail(f"{SCRIPT} is missing: install the package (pip install -e .)")
    port = _free_port()
    log_path = tmp_path / "server.log"
    device_token = authtokens.new_token(authtokens.DEVICE_PREFIX)
    code = authtokens.new_enrollment_code()
    opaque = "s3cr3t-value-of-no-shape"
    with log_path.open("wb") as out:
        proc = subprocess.Popen(
            [str(SCRIPT), "--data", str(tmp_path / "data"), "serve", "--port", str(port),
             "--access-log"], stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert proc.poll() is None and time.monotonic() < deadline, \
                    log_path.read_text()
                time.sleep(0.1)
            with httpx.Client(base_url=base, timeout=10) as client:
                client.get("/api/v1/health", params={"token": device_token, "page": "2"})
                client.get("/api/v1/health", params={"api_key": opaque})
                client.get(f"/api/v1/health?enrollment={code.lower()}")
                client.get(f"/api/v1/device/{device_token}")
                client.post("/api/v1/device/enroll", params={"otp": opaque},
                            json={"code": code})
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    text = log_path.read_text()
    assert "GET /api/v1/health?token=" + REDACTED + "&page=2" in text, text
    assert text.count("/api/v1/health") >= 3 and "POST /api/v1/device/enroll?otp=" in text
    for secret in (device_token, device_token[4:], code, code.lower(), opaque):
        assert secret not in text


@given(name=st.sampled_from(["token", "code", "Secret", "api_key", "otp", "access_token"]),
       value=st.text(st.characters(codec="ascii", exclude_characters="&;#? \"'"),
                     min_size=1, max_size=60),
       prefix=st.text(st.characters(codec="ascii", exclude_characters="?"), max_size=30))
def test_redact_never_keeps_a_secret_parameter_value(name: str, value: str,
                                                     prefix: str) -> None:
    line = f'127.0.0.1 - "GET /p{prefix.replace(" ", "")}?a=1&{name}={value} HTTP/1.1" 200'
    out = redact(line)
    assert f"{name}={REDACTED}" in out and out.endswith(" HTTP/1.1\" 200")
    assert redact(out) == out


@given(before=st.text(max_size=80), after=st.text(max_size=80),
       prefix=st.sampled_from(["gsa_", "gsd_", "gss_", "gsw_"]),
       body=st.text(st.sampled_from("ABCxyz019_-"), min_size=43, max_size=43))
def test_redact_removes_a_token_from_any_text(before: str, after: str, prefix: str,
                                              body: str) -> None:
    token = prefix + body
    out = redact(before + token + after)
    assert token not in out and body not in out
