"""Wallet routes over HTTP on a live server: the page's files, organizer links, the phone's API."""

from __future__ import annotations

import gzip
import json
import logging
import re
import time
from collections.abc import Iterator
from http.client import HTTPConnection
from pathlib import Path

import httpx
import pytest
from nacl.signing import SigningKey

from gatescan.protocol.token import parse_token
from gatescan.server import admins
from gatescan.server.settings import load_settings
from gatescan.server.store import IssuerStore
from gatescan.server.wallet import links
from gatescan.server.wallet.assets import WalletAssets
from tests.server.client import FAR, Organizer, general_event, phone_code
from tests.server.live import serving

PAGE_BUDGET = 100_000  # bytes over the wire, every file the page loads


def _claim_body(token: str, phone: SigningKey) -> dict[str, str]:
    return {"claim": token, "holder_public_key": bytes(phone.verify_key).hex(),
            "proof": phone.sign(links.CLAIM_DOMAIN + token.encode()).signature.hex()}


def _signed(phone: SigningKey, domain: bytes, credential: str) -> dict[str, object]:
    at = int(time.time())
    sig = phone.sign(links.request_message(domain, bytes.fromhex(credential), at)).signature
    return {"credential": credential, "at": at, "signature": sig.hex()}


def _token(url: str) -> str:
    found = re.search(r"/wallet/#claim=(gsw_[A-Za-z0-9_-]{43})$", url)
    assert found, url
    return found.group(1)


def _raw_status(server: str, path: str) -> int:
    """GET `path` exactly as written (httpx would resolve `..` before sending)."""
    url = httpx.URL(server)
    conn = HTTPConnection(url.host, url.port, timeout=30)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    finally:
        conn.close()


def test_page_files_headers_and_weight(server: str) -> None:
    assets = WalletAssets.load()
    sw_files = re.findall(r'"([^"]+)"', re.search(r"FILES = \[(.*?)\]", assets.files[
        "sw.js"].body.decode(), re.S).group(1))  # type: ignore[union-attr]
    with httpx.Client(base_url=server, timeout=30) as http:
        assert http.get("/wallet").headers["location"] == "/wallet/"
        total = 0
        for name in sw_files:
            r = http.get(f"/wallet/{'' if name == './' else name}",
                         headers={"Accept-Encoding": "gzip"})
            assert r.status_code == 200, name
            assert r.headers["cache-control"] == "no-cache"
            assert "'self'" in r.headers["content-security-policy"]
            total += int(r.headers.get("content-length", len(r.content)))
            again = http.get(f"/wallet/{'' if name == './' else name}",
                             headers={"If-None-Match": r.headers["etag"]})
            assert again.status_code == 304 and not again.content
        assert total < PAGE_BUDGET
        page = http.get("/wallet/", headers={"Accept-Encoding": "identity"})
        assert page.headers["content-type"].startswith("text/html")
        assert "content-encoding" not in page.headers
        sw = http.get("/wallet/sw.js", headers={"Accept-Encoding": "gzip"})
        assert sw.headers["service-worker-allowed"] == "/wallet/"
        assert f'"{assets.version}"' in sw.text and "__WALLET_VERSION__" not in sw.text
        manifest = http.get("/wallet/manifest.webmanifest").json()
        assert manifest["display"] == "standalone" and manifest["start_url"] == "./"
        missing = http.get("/wallet/nope.js")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
        assert http.get("/wallet/..%2Fissuer.db").status_code == 404
        # Subfolders: only the loaded files' names answer (paths sent as written).
        assert http.get("/wallet/vendor/qrcode-generator/qrcode.mjs").status_code == 200
        for probe in ("vendor/../app.js", "vendor/qrcode-generator/../../assets.py",
                      "vendor%2F..%2F..%2Fassets.py", "vendor/qrcode-generator/LICENSE",
                      "vendor/qrcode-generator/README.md", "/etc/passwd", "vendor/",
                      "vendor/qrcode-generator/./qrcode.mjs", "./app.js"):
            assert _raw_status(server, f"/wallet/{probe}") == 404, probe
        served = {n for n in assets.files if n.rsplit(".", 1)[-1] != "txt"}
        assert served == {n for n in sw_files if n != "./"} | {"index.html", "sw.js"}
        doc = http.get("/openapi.json").json()["paths"]
        assert {"/api/v1/wallet/claim", "/api/v1/wallet/status", "/api/v1/wallet/transfer"} <= \
            set(doc) and not any(p.startswith("/wallet") for p in doc)
    # Everything comes from this server: no CDN, no other origin in any file.
    for asset in assets.files.values():
        text = re.sub(r"(?m)^\s*//.*$", "", asset.body.decode())  # vendored files' credits
        assert not re.findall(r"(?:https?:)?//(?!www\.w3\.org/2000/svg)[a-z0-9.-]+\.[a-z]{2,}",
                              text), asset.name
    assert len(gzip.decompress(assets.files["app.js"].gzipped or b"")) == \
        len(assets.files["app.js"].body)


def test_organizer_links_and_the_phone_api(org: Organizer, server: str,
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    event_id = org.event(general_event(rotation_period=10))
    assert httpx.post(f"{server}/api/v1/admin/events/{event_id}/wallet-tickets",
                      json={"type_id": 1, "valid_from": 0, "valid_until": FAR}).status_code == 401
    made = org.ok("POST", f"/api/v1/admin/events/{event_id}/wallet-tickets", 201,
                  json={"type_id": 1, "valid_from": 0, "valid_until": FAR, "seat": "B 7"})
    assert made["kind"] == "issue" and made["url"].startswith(server + "/wallet/#claim=gsw_")
    token = _token(made["url"])
    alice, bob = SigningKey.generate(), SigningKey.generate()
    phone_api = httpx.Client(base_url=server, timeout=30)
    bad = phone_api.post("/api/v1/wallet/claim", json={**_claim_body(token, alice),
                                                       "proof": "00" * 64})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "bad_proof"
    r = phone_api.post("/api/v1/wallet/claim", json=_claim_body(token, alice))
    assert r.status_code == 200, r.text
    claimed = r.json()
    facts = claimed["ticket"]
    assert (facts["event_id"], facts["type_name"], facts["seat"], facts["serial"],
            facts["rotation_period"]) == (event_id, "General", "B 7", 1, 10)
    assert not claimed["again"] and "x-gatescan-server-time" in r.headers
    code = phone_code(claimed["credential"], alice, time.time(), 10)
    assert parse_token(code).credential.holder_key == bytes(alice.verify_key)
    again = phone_api.post("/api/v1/wallet/claim", json=_claim_body(token, alice)).json()
    assert again["again"] and again["credential"] == claimed["credential"]
    used = phone_api.post("/api/v1/wallet/claim", json=_claim_body(token, bob))
    assert used.status_code == 409 and used.json()["error"]["code"] == "claim_used"
    unknown = phone_api.post("/api/v1/wallet/claim",
                             json=_claim_body(links.new_link_token(), bob))
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "claim_unknown"
    status = phone_api.post("/api/v1/wallet/status",
                            json=_signed(alice, links.STATUS_DOMAIN, claimed["credential"]))
    assert status.status_code == 200 and status.json()["state"] == "current"
    gift = phone_api.post("/api/v1/wallet/transfer",
                          json=_signed(alice, links.TRANSFER_DOMAIN, claimed["credential"]))
    assert gift.status_code == 201 and gift.json()["kind"] == "transfer"
    taken = phone_api.post("/api/v1/wallet/claim", json=_claim_body(_token(gift.json()["url"]),
                                                                   bob)).json()
    assert taken["ticket"]["serial"] == 2
    old = phone_api.post("/api/v1/wallet/status",
                         json=_signed(alice, links.STATUS_DOMAIN, claimed["credential"])).json()
    assert old["state"] == "superseded"
    refused = phone_api.post("/api/v1/wallet/transfer",
                             json=_signed(alice, links.TRANSFER_DOMAIN, claimed["credential"]))
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "superseded"
    ticket_id = facts["ticket_id"]
    relink = org.ok("POST", f"/api/v1/admin/events/{event_id}/tickets/{ticket_id}/wallet-link",
                    201)
    assert relink["ticket_id"] == ticket_id
    r = org.http.post(f"/api/v1/admin/events/{event_id}/tickets/0000000000000005/wallet-link")
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_ticket"
    for body in ({}, {"claim": "x"}, {**_claim_body(token, bob), "extra": 1}):
        r = phone_api.post("/api/v1/wallet/claim", json=body)
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"
    phone_api.close()
    for secret in (token, _token(gift.json()["url"]), _token(relink["url"])):
        assert secret not in caplog.text


@pytest.fixture
def public_server(tmp_path: Path) -> Iterator[tuple[str, IssuerStore]]:
    """A live server configured with a public (HTTPS) URL for its links."""
    settings = load_settings(tmp_path / "pub", {}, public_url="https://tickets.example.org/")
    with IssuerStore.open(settings) as store, serving(settings, store) as url:
        yield url, store


def test_links_use_the_public_url_and_expire(public_server: tuple[str, IssuerStore]) -> None:
    url, store = public_server
    with Organizer(url, _admin(store)) as org:
        event_id = org.event()
        made = org.ok("POST", f"/api/v1/admin/events/{event_id}/wallet-tickets", 201,
                      json={"type_id": 1, "valid_from": 0, "valid_until": FAR})
        assert made["url"].startswith("https://tickets.example.org/wallet/#claim=")
        old = links.create_link(store, int(made["ticket_id"], 16), now=time.time() - 10, ttl=5)
        r = httpx.post(f"{url}/api/v1/wallet/claim",
                       json=_claim_body(old.token, SigningKey.generate()))
        assert r.status_code == 410 and r.json()["error"]["code"] == "claim_expired"
        bad = org.http.post(f"/api/v1/admin/events/{event_id}/wallet-tickets",
                            json={"type_id": 77, "valid_from": 0, "valid_until": FAR})
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "unknown_type"


def _admin(store: IssuerStore) -> str:
    return admins.create_admin_token(store, "wallet", now=time.time())[1]


def test_manifest_file_is_json() -> None:
    body = WalletAssets.load().files["manifest.webmanifest"].body
    doc = json.loads(body)
    assert doc["scope"] == "./" and doc["icons"][0]["src"] == "icon.svg"


def test_a_used_ticket_cannot_be_transferred_and_its_status_says_where(
        org: Organizer, server: str) -> None:
    """Defect: the wallet offered to transfer a ticket that had already been used."""
    from tests.server.client import Gate, scan

    event_id = org.event(general_event())
    made = org.ok("POST", f"/api/v1/admin/events/{event_id}/wallet-tickets", 201,
                  json={"type_id": 1, "valid_from": 0, "valid_until": FAR})
    alice = SigningKey.generate()
    with httpx.Client(base_url=server, timeout=30) as phone_api:
        claimed = phone_api.post("/api/v1/wallet/claim",
                                 json=_claim_body(_token(made["url"]), alice)).json()
        body = _signed(alice, links.STATUS_DOMAIN, claimed["credential"])
        assert phone_api.post("/api/v1/wallet/status", json=body).json()["used"] is None
        ticket_id = claimed["ticket"]["ticket_id"]
        with Gate(server, org.device(event_id, "a")["code"]) as gate:
            at = float(int(time.time()))
            gate.push(scan(ticket_id, at, serial=1))
        body = _signed(alice, links.STATUS_DOMAIN, claimed["credential"])
        used = phone_api.post("/api/v1/wallet/status", json=body).json()["used"]
        assert used == {"at": at, "gate": "Gate 1"}
        refused = phone_api.post("/api/v1/wallet/transfer", json=_signed(
            alice, links.TRANSFER_DOMAIN, claimed["credential"]))
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "ticket_used"
