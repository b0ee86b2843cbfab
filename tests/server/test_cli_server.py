"""`gatescan-server admin-token`, `device …` and `serve --help`, run in-process."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from gatescan.server import admins
from gatescan.server.settings import load_settings
from gatescan.server.store import IssuerStore
from tests.server.helpers import T0, cli, cli_json, demo_json


def _demo(data: Path) -> dict[str, object]:
    return demo_json(data, "event", "--tickets", "8", "--at", str(T0))


def test_admin_token_is_printed_once_and_stored_hashed(tmp_path: Path) -> None:
    made = cli_json(tmp_path, "admin-token", "--name", "office")
    token = str(made["token"])
    assert token.startswith("gsa_") and made["name"] == "office"
    with IssuerStore.open(load_settings(tmp_path, {})) as store:
        assert admins.admin_for_token(store, token) == made["token_id"]
        assert admins.admin_for_token(store, token + "x") is None
    assert token.encode() not in (tmp_path / "issuer.db").read_bytes()
    plain = cli(tmp_path, "admin-token")
    assert plain.exit_code == 0 and plain.stdout.strip().startswith("gsa_")
    assert "shown once" in plain.stderr
    gone = cli_json(tmp_path, "admin-token", "--revoke", str(made["token_id"]))
    assert gone["revoked"] is True
    with IssuerStore.open(load_settings(tmp_path, {})) as store:
        assert admins.admin_for_token(store, token) is None
    assert cli(tmp_path, "admin-token", "--revoke", str(made["token_id"])).exit_code == 2


def test_device_add_prints_code_qr_png_and_handshake(tmp_path: Path) -> None:
    report = _demo(tmp_path)
    result = cli(tmp_path, "device", "add", "North door", "--gate", "gate 1")
    assert result.exit_code == 0, result.output
    assert "Enrollment code:" in result.stdout and "▀" in result.stdout  # the terminal QR
    assert "--url" in result.stderr  # warned: the default URL is loopback
    made = cli_json(tmp_path, "device", "add", "South", "--gate", "Gate 2",
                    "--url", "http://10.0.0.2:8080/")
    handshake = json.loads(str(made["handshake"]))
    assert handshake == {"type": "gatescan-enroll", "v": 1, "url": "http://10.0.0.2:8080",
                         "code": made["code"], "keys": [report["fingerprint"]]}
    assert made["event_id"] == report["event_id"] and made["gate"] == "Gate 2"
    png = Path(str(made["png"]))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert stat.S_IMODE(png.stat().st_mode) == 0o600
    bad = cli(tmp_path, "device", "add", "West", "--gate", "Nowhere")
    assert bad.exit_code == 2 and "no gate" in bad.stderr
    taken = cli(tmp_path, "device", "add", "South")
    assert taken.exit_code == 2 and "already has a device" in taken.stderr


def test_device_list_rename_move_code_revoke(tmp_path: Path) -> None:
    _demo(tmp_path)
    made = cli_json(tmp_path, "device", "add", "d1", "--gate", "Gate 1")
    device_id = str(made["device_id"])
    renamed = cli_json(tmp_path, "device", "rename", device_id, "Door 1")
    assert renamed["name"] == "Door 1"
    moved = cli_json(tmp_path, "device", "move", device_id, "vip gate")
    assert moved["gate"] == "VIP Gate"
    listed = cli_json(tmp_path, "device", "list")
    assert [(d["name"], d["status"]) for d in listed["devices"]] == [("Door 1", "pending")]
    fresh = cli_json(tmp_path, "device", "code", device_id)
    assert fresh["code"] != made["code"]
    revoked = cli_json(tmp_path, "device", "revoke", device_id)
    assert revoked["status"] == "revoked" and revoked["already_revoked"] is False
    again = cli(tmp_path, "device", "revoke", device_id)
    assert again.exit_code == 0 and "Already revoked" in again.stdout
    code = cli(tmp_path, "device", "code", device_id)
    assert code.exit_code == 2 and "revoked" in code.stderr
    unknown = cli(tmp_path, "device", "rename", "dev_000000000000", "x")
    assert unknown.exit_code == 2 and "no device" in unknown.stderr


def test_device_add_needs_an_event(tmp_path: Path) -> None:
    result = cli(tmp_path, "device", "add", "lonely")
    assert result.exit_code == 2 and "no event yet" in result.stderr


def test_serve_help_names_its_options(tmp_path: Path) -> None:
    result = cli(tmp_path, "serve", "--help")
    assert result.exit_code == 0
    for option in ("--host", "--port", "--data", "--database-url", "--url", "--workers"):
        assert option in result.stdout
