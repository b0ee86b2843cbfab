"""gatescan-server through click's CliRunner: demo, token, revoke, transfer, manifest."""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatescan.demo.event import machine_zone
from gatescan.gate.verify.view import Direction
from gatescan.protocol.manifest import ManifestReader
from gatescan.protocol.token import TokenError, parse_ticket_id
from gatescan.protocol.verdict import Outcome
from tests.server.helpers import (
    T0,
    ManifestView,
    cli,
    cli_json,
    demo_cli,
    demo_json,
    leaked,
    private_seeds,
    token_at,
)

HEX16 = re.compile(r"^[0-9a-f]{16}$")
TYPE_KEYS = ["early_bird", "vip", "group", "time_slot", "multi_day", "reentry"]

Demo = tuple[Path, dict[str, Any]]


def test_demo_json_shape(shared_demo: Demo) -> None:
    data, report = shared_demo
    assert Path(report["manifest"]) == data / "manifests" / f"{report['event_id']}.gsm"
    assert Path(report["manifest"]).is_file()
    assert report["event_name"] == "GateScan Demo Night"
    assert report["created"] is True and report["rotation_period"] == 30
    tickets = report["tickets"]
    assert len(tickets) == 24 == len(set(tickets))
    assert all(HEX16.match(t) for t in tickets)
    assert set(report["ticket_types"]) == set(tickets)
    assert set(report["ticket_types"].values()) == set(TYPE_KEYS)
    assert set(report["special"]) == {*TYPE_KEYS, "revoked", "transferred"}
    for key in TYPE_KEYS:
        assert report["ticket_types"][report["special"][key]] == key
    assert report["special"]["revoked"] != report["special"]["transferred"]
    assert {g["name"]: g["zone"] for g in report["gates"]} == {
        "Gate 1": "main", "Gate 2": "main", "VIP Gate": "vip"}
    types = {t["key"]: t for t in report["types"]}
    assert types["vip"]["zones"] == ["vip", "main"]
    assert types["group"]["max_entries"] == 4
    assert types["multi_day"]["per_day"] and types["reentry"]["reentry"]
    slot = types["time_slot"]["slot"]
    assert slot["start"] < T0 < slot["end"]
    view = ManifestView.load(Path(report["manifest"]))
    assert {f"{t:016x}" for t in view.tickets} == set(tickets)
    assert view.policy.event_id == report["event_id"]
    assert view.policy.tz == report["tz"] and view.policy.tz  # a real IANA zone


def test_demo_zone_is_the_machines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    assert machine_zone() == "Asia/Shanghai"
    monkeypatch.setenv("TZ", "not/a zone")
    assert machine_zone()  # falls back to the system's link or UTC, still a real zone


def test_demo_human_summary(tmp_path: Path) -> None:
    result = demo_cli(tmp_path, "event", "--tickets", "8")
    assert result.exit_code == 0, result.output
    assert "GateScan Demo Night" in result.stdout and "created" in result.stdout
    assert "gatescan import-manifest" in result.stdout and "--old" in result.stdout


@pytest.mark.parametrize(("key", "gate"), [
    ("early_bird", "Gate 1"), ("vip", "VIP Gate"), ("vip", "Gate 2"), ("group", "Gate 2"),
    ("time_slot", "Gate 1"), ("multi_day", "Gate 1"), ("reentry", "Gate 2")])
def test_each_type_is_admitted_at_its_gates(shared_demo: Demo, key: str, gate: str) -> None:
    data, report = shared_demo
    view = ManifestView.load(Path(report["manifest"]))
    at = T0 + 5
    verdict = view.scan(token_at(data, report["special"][key], at), at, gate)
    assert verdict.outcome is Outcome.ADMITTED, verdict.reason


def test_type_rules_hold_on_real_tokens(shared_demo: Demo) -> None:
    data, report = shared_demo
    special = report["special"]
    view = ManifestView.load(Path(report["manifest"]))
    at = T0

    def scan(key: str, when: float, gate: str = "Gate 1",
             direction: Direction = "entry") -> Outcome:
        return view.scan(token_at(data, special[key], when), when, gate, direction).outcome

    assert scan("early_bird", at, "VIP Gate") is Outcome.WRONG_GATE
    assert scan("early_bird", at) is Outcome.ADMITTED
    assert scan("early_bird", at + 8) is Outcome.REPEAT_READ  # the same person, still there
    assert scan("early_bird", at + 90) is Outcome.ALREADY_USED
    assert [scan("group", at + i * 10) for i in range(5)] == [Outcome.ADMITTED] * 4 + [
        Outcome.ALREADY_USED]
    assert scan("reentry", at) is Outcome.ADMITTED
    assert scan("reentry", at + 600, direction="exit") is Outcome.EXIT_RECORDED
    assert scan("reentry", at + 1200) is Outcome.ADMITTED
    assert scan("multi_day", at) is Outcome.ADMITTED
    assert scan("multi_day", at + 90) is Outcome.ALREADY_USED
    assert scan("multi_day", at + 86400) is Outcome.ADMITTED
    assert scan("time_slot", at + 4 * 3600) is Outcome.OUTSIDE_TIME_SLOT
    assert scan("vip", at + 2 * 86400) is Outcome.EXPIRED


def test_revoked_ticket_is_refused(shared_demo: Demo) -> None:
    data, report = shared_demo
    view = ManifestView.load(Path(report["manifest"]))
    verdict = view.scan(token_at(data, report["special"]["revoked"], T0), T0)
    assert verdict.outcome is Outcome.REVOKED
    assert "refund" in verdict.reason


def test_transferred_old_credential_superseded_new_admitted(shared_demo: Demo) -> None:
    data, report = shared_demo
    ticket = report["special"]["transferred"]
    view = ManifestView.load(Path(report["manifest"]))
    old = token_at(data, ticket, T0, "--old")
    new = token_at(data, ticket, T0)
    assert old != new
    assert view.scan(old, T0).outcome is Outcome.SUPERSEDED
    assert view.scan(new, T0).outcome is Outcome.ADMITTED


def test_old_flag_needs_a_transfer(shared_demo: Demo) -> None:
    data, report = shared_demo
    result = demo_cli(data, "token", report["special"]["vip"], "--old")
    assert result.exit_code == 2
    assert "never transferred" in result.stderr


def test_token_rotates_every_period_and_is_stable_within_one(shared_demo: Demo) -> None:
    data, report = shared_demo
    ticket = report["special"]["early_bird"]
    start = (T0 // 30 + 1) * 30
    first = token_at(data, ticket, start)
    assert token_at(data, ticket, start + 29.9) == first
    assert token_at(data, ticket, start + 15) == first
    second = token_at(data, ticket, start + 30)
    assert second != first
    assert token_at(data, ticket, start - 0.5) not in (first, second)
    info = demo_json(data, "token", ticket, "--at", str(start + 7))
    assert info["token"] == first and info["step"] == start // 30
    assert info["changes_at"] == start + 30 and info["serial"] == 0


def test_token_without_at_is_now(tmp_path: Path) -> None:
    report = demo_json(tmp_path, "event", "--tickets", "8")
    result = demo_cli(tmp_path, "token", report["special"]["early_bird"])
    now = time.time()
    assert result.exit_code == 0
    view = ManifestView.load(Path(report["manifest"]))
    assert view.scan(result.stdout.strip(), now).outcome is Outcome.ADMITTED


def test_demo_twice_is_idempotent_and_new_makes_another(tmp_path: Path) -> None:
    first = demo_json(tmp_path, "event", "--tickets", "9", "--at", str(T0))
    again = demo_json(tmp_path, "event")
    assert again["created"] is False
    assert {**again, "created": True} == first
    clash = demo_cli(tmp_path, "event", "--tickets", "10")
    assert clash.exit_code == 2 and "--new" in clash.stderr
    other = demo_json(tmp_path, "event", "--tickets", "10", "--new")
    assert other["event_id"] != first["event_id"] and len(other["tickets"]) == 10
    assert demo_json(tmp_path, "event")["event_id"] == other["event_id"]
    # The first event's tickets still have their phones.
    assert token_at(tmp_path, first["tickets"][0], T0)


def test_demo_reuse_rewrites_a_missing_manifest(tmp_path: Path) -> None:
    report = demo_json(tmp_path, "event", "--tickets", "8")
    Path(report["manifest"]).unlink()
    again = demo_json(tmp_path, "event")
    assert Path(again["manifest"]).is_file() and again["manifest_sequence"] == 2


def test_seed_and_at_make_the_demo_reproducible(tmp_path: Path) -> None:
    a = demo_json(tmp_path / "a", "event", "--tickets", "12", "--seed", "7", "--at", str(T0))
    b = demo_json(tmp_path / "b", "event", "--tickets", "12", "--seed", "7", "--at", str(T0))
    assert a["tickets"] == b["tickets"] and a["seeded"] is True
    assert Path(a["manifest"]).read_bytes() == Path(b["manifest"]).read_bytes()
    assert token_at(tmp_path / "a", a["tickets"][3], T0) == token_at(
        tmp_path / "b", b["tickets"][3], T0)


def test_revoke_and_transfer_commands_republish_the_manifest(tmp_path: Path) -> None:
    report = demo_json(tmp_path, "event", "--tickets", "8", "--at", str(T0))
    ticket = report["special"]["vip"]
    revoked = cli_json(tmp_path, "revoke", ticket, "--reason", "chargeback")
    assert revoked["status"] == "revoked" and revoked["already_revoked"] is False
    assert revoked["manifest"] == report["manifest"] and revoked["manifest_sequence"] == 2
    view = ManifestView.load(Path(report["manifest"]))
    verdict = view.scan(token_at(tmp_path, ticket, T0), T0)
    assert verdict.outcome is Outcome.REVOKED and "chargeback" in verdict.reason
    assert cli_json(tmp_path, "revoke", ticket)["already_revoked"] is True

    group = report["special"]["group"]
    old = token_at(tmp_path, group, T0)
    moved = demo_json(tmp_path, "transfer", group)
    assert (moved["previous_serial"], moved["serial"]) == (0, 1)
    view = ManifestView.load(Path(report["manifest"]))
    assert view.sequence == 3  # the repeated revoke above wrote nothing
    assert view.scan(old, T0).outcome is Outcome.SUPERSEDED
    assert token_at(tmp_path, group, T0, "--old") == old
    assert view.scan(token_at(tmp_path, group, T0), T0).outcome is Outcome.ADMITTED
    twice = demo_json(tmp_path, "transfer", group)
    assert twice["serial"] == 2
    assert demo_cli(tmp_path, "transfer", ticket).exit_code == 2  # revoked tickets stay put


def test_manifest_command_sequence_and_out(tmp_path: Path) -> None:
    report = demo_json(tmp_path, "event", "--tickets", "8")
    out = tmp_path / "usb" / "event.gsm"
    info = cli_json(tmp_path, "manifest", "--out", str(out))
    assert info == {"event_id": report["event_id"], "manifest": str(out), "sequence": 2,
                    "tickets": 8, "revocations": 1, "fingerprint": report["fingerprint"]}
    with out.open("rb") as f:  # the fingerprint a gate pins its first import to
        signer = ManifestReader(f).header.signer_key()
    assert hashlib.sha256(signer.public_key).hexdigest() == report["fingerprint"]
    assert ManifestView.load(out).sequence == 2
    again = cli_json(tmp_path, "manifest", "--event", str(report["event_id"]))
    assert again["sequence"] == 3 and again["manifest"] == report["manifest"]
    human = cli(tmp_path, "manifest")
    assert human.exit_code == 0 and "sequence 4" in human.stdout


def test_private_keys_never_in_manifest_or_output(tmp_path: Path) -> None:
    outputs = []

    def run(*args: str) -> None:
        # the demo's commands (its phones hold private keys) and the server's alike
        demo = args[0] in ("event", "token", "transfer")
        result = (demo_cli if demo else cli)(tmp_path, "-vv", *args)
        assert result.exit_code == 0, result.output
        outputs.append(result.output)

    run("event", "--tickets", "8", "--json")
    run("event")
    report = demo_json(tmp_path, "event")
    special = report["special"]
    for args in (["token", special["vip"]], ["token", special["vip"], "--json"],
                 ["token", special["transferred"], "--old", "--json"],
                 ["transfer", special["vip"]], ["transfer", special["group"], "--json"],
                 ["revoke", special["reentry"]], ["revoke", special["reentry"], "--json"],
                 ["manifest"], ["manifest", "--json"]):
        run(*args)
    seeds = private_seeds(tmp_path)
    assert len(seeds) == 1 + 8 + 3  # issuer key, 8 phones, 3 phones after transfers
    assert "INFO" in "".join(outputs)  # -vv logging was on
    assert not leaked(seeds, "\n".join(outputs))
    assert not leaked(seeds, Path(report["manifest"]).read_bytes())
    assert not leaked(seeds, (tmp_path / "issuer.db").read_bytes())


def test_data_dir_from_option_and_environment(tmp_path: Path) -> None:
    env_dir, opt_dir = tmp_path / "env", tmp_path / "opt"
    env = {"GATESCAN_SERVER_DATA": str(env_dir)}
    by_env = demo_cli(None, "event", "--tickets", "8", "--json", env=env)
    assert by_env.exit_code == 0, by_env.output
    assert (env_dir / "issuer.db").is_file()
    by_opt = demo_cli(opt_dir, "event", "--tickets", "8", "--json", env=env)
    assert by_opt.exit_code == 0
    assert by_opt.stdout != by_env.stdout
    assert str(opt_dir) in by_opt.stdout and (opt_dir / "wallet.db").is_file()
    ticket = demo_json(env_dir, "event")["tickets"][0]
    assert demo_cli(None, "token", ticket, env=env).exit_code == 0
    assert demo_cli(opt_dir, "token", ticket, env=env).exit_code == 2  # not in that data dir


@pytest.mark.parametrize(("demo", "args", "message"), [
    (True, ["token", "xyz"], "not a ticket id"),
    (True, ["token", "0123456789abcdef0"], "not a ticket id"),
    (True, ["token", "ffffffffffffffff"], "out of range"),
    (True, ["token", "00000000000000aa"], "unknown ticket id"),
    (True, ["token", "aa", "--at", "-5"], "out of range"),
    (True, ["token", "aa", "--at", "nan"], "out of range"),
    (True, ["token", "aa", "--at", "soon"], "not a unix time"),
    (False, ["revoke", "00000000000000aa"], "unknown ticket id"),
    (False, ["revoke", "aa", "--reason", "  "], "reason"),
    (False, ["transfer", "00000000000000aa", "--holder-key", "00" * 32], "unknown ticket id"),
    (True, ["transfer", "00000000000000aa"], "unknown ticket id"),
    (False, ["manifest", "--event", "123"], "no event 123"),
    (True, ["event", "--tickets", "3"], "--tickets"),
    (True, ["event", "--at", "5"], "--at"),
    (False, ["frobnicate"], "No such command"),
    (False, ["demo"], "No such command"),  # the demo is `gatescan-demo`, not the server's
    (False, ["token", "aa"], "No such command"),
])
def test_wrong_arguments_exit_2(shared_demo: Demo, demo: bool, args: list[str],
                                message: str) -> None:
    data, _ = shared_demo
    result = (demo_cli if demo else cli)(data, *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(("demo", "args"), [
    (True, ["token", "0000000000000001"]), (False, ["manifest"]), (False, ["revoke", "01"]),
    (False, ["transfer", "01", "--link"]), (True, ["transfer", "01"])])
def test_no_demo_yet_exits_2(tmp_path: Path, demo: bool, args: list[str]) -> None:
    result = (demo_cli if demo else cli)(tmp_path, *args)
    assert result.exit_code == 2
    assert "no event yet" in result.stderr and "gatescan-demo event" in result.stderr


def test_unusable_data_dir_exits_2(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = demo_cli(blocker / "data", "event")
    assert result.exit_code == 2
    assert "cannot use" in result.stderr


@given(text=st.text(max_size=40))
def test_any_ticket_id_text_is_an_answer_not_a_crash(shared_demo: Demo, text: str) -> None:
    data, _ = shared_demo
    result = demo_cli(data, "token", "--", text)
    assert result.exit_code in (0, 2), (result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    try:
        parse_ticket_id(text)
    except TokenError:
        assert result.exit_code == 2  # not a ticket id: refused, never a token
    if result.exit_code == 0:
        assert result.stdout.strip() and not result.stderr
    else:
        assert result.stderr.strip() and result.stdout == ""


# -- environment failures through the real console script: one line, exit 2 ------------------

def _server(*args: str, script: str = "gatescan-server") -> Any:
    import subprocess
    import sys

    return subprocess.run([str(Path(sys.executable).parent / script), *args],
                          capture_output=True, text=True, timeout=60)


def _one_line_exit_2(out: Any) -> None:
    assert "Traceback" not in out.stderr, out.stderr
    assert out.returncode == 2, (out.returncode, out.stderr)
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr


@pytest.mark.parametrize("damage", ["schema_text", "not_a_database", "garbage_page"])
def test_a_damaged_issuer_database_is_one_line_and_exit_2(tmp_path: Path, damage: str) -> None:
    data = tmp_path / "server"
    made = _server("--data", str(data), "event", "--tickets", "24", "--json",
                   script="gatescan-demo")
    assert made.returncode == 0, made.stderr
    db = data / "issuer.db"
    raw = bytearray(db.read_bytes())
    if damage == "schema_text":  # SQLite quotes damaged schema text: not always UTF-8
        at = raw.index(b"CREATE TABLE")
        raw[at + 13:at + 17] = b"\xd6\xff\xfe\xd6"
    elif damage == "not_a_database":
        raw[:16] = b"definitely not.\n"
    else:
        raw[4096 * 2:4096 * 3] = bytes(range(256)) * 16
    db.write_bytes(bytes(raw))
    for command in (["manifest"], ["device", "list"]):
        _one_line_exit_2(_server("--data", str(data), *command))


def test_manifest_into_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    data = tmp_path / "server"
    assert _server("--data", str(data), "event", "--tickets", "24",
                   script="gatescan-demo").returncode == 0
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    _one_line_exit_2(_server("--data", str(data), "manifest", "--out", str(blocker / "x.gsm")))


def test_the_server_transfers_to_a_holder_key_or_by_link_never_to_a_simulator(
        tmp_path: Path) -> None:
    """`gatescan-server transfer` needs the new holder's public key or makes a transfer link;
    it never puts a ticket on a simulated phone (that is `gatescan-demo transfer`)."""
    from nacl.signing import SigningKey

    report = demo_json(tmp_path, "event", "--tickets", "8", "--at", str(T0))
    vip, group = report["special"]["vip"], report["special"]["group"]
    bare = cli(tmp_path, "transfer", vip)
    assert bare.exit_code == 2 and "--holder-key" in bare.output
    both = cli(tmp_path, "transfer", vip, "--link", "--holder-key", "00" * 32)
    assert both.exit_code == 2
    for bad in ("zz", "00" * 31, "00" * 33):
        wrong = cli(tmp_path, "transfer", vip, "--holder-key", bad)
        assert wrong.exit_code == 2 and "64 hex digits" in wrong.output
    old = token_at(tmp_path, vip, T0 + 1)
    friend = SigningKey(bytes(range(32)))
    moved = cli_json(tmp_path, "transfer", vip, "--holder-key", bytes(friend.verify_key).hex())
    assert (moved["previous_serial"], moved["serial"]) == (0, 1)
    view = ManifestView.load(Path(report["manifest"]))
    assert view.scan(old, T0 + 1).outcome is Outcome.SUPERSEDED
    # the simulated phone still holds the old credential: the server never touched it
    assert token_at(tmp_path, vip, T0 + 1) == old
    link = cli_json(tmp_path, "transfer", group, "--link", "--url", "http://10.0.0.5:8080")
    assert link["url"].startswith("http://10.0.0.5:8080/wallet/#claim=gsw_")
    assert link["kind"] == "transfer"
