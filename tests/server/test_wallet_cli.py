"""`gatescan-server ticket link|issue`: the one-time wallet link as text, JSON and QR code."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from nacl.signing import SigningKey

from gatescan.server.settings import load_settings
from gatescan.server.store import IssuerStore
from gatescan.server.wallet import links
from tests.server.helpers import T0, cli, cli_json, demo_json


def _token(url: str) -> str:
    return url.split("#claim=", 1)[1]


def test_link_for_a_demo_ticket_moves_it_to_the_phone(tmp_path: Path) -> None:
    demo = demo_json(tmp_path, "event", "--tickets", "8", "--at", str(T0))
    vip = demo["special"]["vip"]
    png = tmp_path / "out" / "vip.png"
    made = cli_json(tmp_path, "ticket", "link", vip, "--url", "https://tickets.example.org/",
                    "--png", str(png))
    assert made["ticket_id"] == vip and made["kind"] == "issue" and made["warning"] is None
    assert made["url"].startswith("https://tickets.example.org/wallet/#claim=gsw_")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert stat.S_IMODE(png.stat().st_mode) == 0o600
    text = cli(tmp_path, "ticket", "link", vip, "--url", "http://10.0.0.2:8080")
    assert text.exit_code == 0 and "http://10.0.0.2:8080/wallet/#claim=gsw_" in text.stdout
    assert "HTTPS" in text.stderr and "works once" in text.stdout
    phone = SigningKey.generate()
    token = _token(made["url"])  # replaced by the newer link just printed
    with IssuerStore.open(load_settings(tmp_path, {})) as store:
        newest = _token(next(w for w in text.stdout.split() if "#claim=" in w))
        claimed = links.claim(store, newest, bytes(phone.verify_key),
                              phone.sign(links.CLAIM_DOMAIN + newest.encode()).signature,
                              now=float(T0) + 60)
        assert claimed.ticket.serial == 1 and claimed.ticket.holder_key == bytes(phone.verify_key)
        assert token != newest
    old = demo_json(tmp_path, "token", vip, "--at", str(T0 + 60))
    assert old["serial"] == 0  # the simulated phone still holds serial 0: gates refuse it


def test_issue_prints_a_link_for_a_new_ticket(tmp_path: Path) -> None:
    assert cli(tmp_path, "ticket", "issue", "--type", "1").exit_code == 2  # no event yet
    demo_json(tmp_path, "event", "--tickets", "8", "--at", str(T0))
    made = cli_json(tmp_path, "ticket", "issue", "--type", "2", "--seat", "Row 3, seat 9",
                    "--valid-from", "100", "--valid-until", "200")
    assert (made["type_id"], made["seat"], made["valid_from"], made["valid_until"]) == \
        (2, "Row 3, seat 9", 100, 200)
    assert made["url"].startswith("http://127.0.0.1:8080/wallet/#claim=gsw_")
    defaults = cli_json(tmp_path, "ticket", "issue", "--type", "1")
    assert defaults["valid_until"] - defaults["valid_from"] == 7 * 24 * 3600
    bad = cli(tmp_path, "ticket", "issue", "--type", "99")
    assert bad.exit_code == 2 and "no ticket type 99" in bad.stderr
    unknown = cli(tmp_path, "ticket", "link", "0000000000000005")
    assert unknown.exit_code == 2 and "no ticket" in unknown.stderr
    assert json.dumps(made).count("gsw_") == 1
