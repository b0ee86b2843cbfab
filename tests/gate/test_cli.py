"""The `gatescan` command line, driven as an operator would (real processes, real files)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import T0, Issuer

BIN = Path(sys.executable).parent


def gatescan(*args: str, env: dict[str, str] | None = None,
             stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "gatescan"), *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, input=stdin, timeout=60)


@pytest.fixture
def loaded(tmp_path: Path) -> tuple[Path, Issuer]:
    issuer = Issuer()
    manifest = issuer.write_manifest(tmp_path / "event.gsm",
                                     [(n, 1, 0, f"A{n}") for n in range(1, 50)])
    data = tmp_path / "gate"
    out = gatescan("--data", str(data), "import-manifest", str(manifest), "--expect-key",
                   hashlib.sha256(issuer.public).hexdigest())
    assert out.returncode == 0, out.stderr
    assert "49 tickets" in out.stdout
    return data, issuer


def test_check_admits_then_refuses_with_exit_codes(loaded: tuple[Path, Issuer]) -> None:
    data, issuer = loaded
    token = issuer.issue(5).token(T0)
    first = gatescan("--data", str(data), "check", token, "--at", str(T0), "--json")
    assert first.returncode == 0, first.stderr
    verdict = json.loads(first.stdout)
    assert verdict["admit"] is True and verdict["outcome"] == "admitted"
    assert verdict["seat"] == "A5" and verdict["recorded"] is True
    again = gatescan("--data", str(data), "check", token, "--at", str(T0 + 20), "--gate",
                     "Gate 2", "--json")
    assert again.returncode == 1
    verdict = json.loads(again.stdout)
    assert verdict["outcome"] == "already_used" and verdict["previous_gate"] == "Gate 1"
    assert "Already used at Gate 1" in verdict["reason"]


def test_a_re_scan_at_the_same_gate_is_a_repeat_read_not_an_admission(
        loaded: tuple[Path, Issuer]) -> None:
    """Defect: within 3 s a second read said "admit": true (a turnstile would open twice);
    4-8 s after, it was a red "Already used"."""
    data, issuer = loaded
    token = issuer.issue(9).token(T0)
    assert gatescan("--data", str(data), "check", token, "--at", str(T0)).returncode == 0
    for after in (2, 8):
        out = gatescan("--data", str(data), "check", token, "--at", str(T0 + after), "--json")
        verdict = json.loads(out.stdout)
        assert (verdict["admit"], verdict["outcome"], verdict["level"]) == (
            False, "repeat_read", "repeat")
        assert out.returncode == 3 and verdict["recorded"] is True
        assert verdict["previous_here"] is True and verdict["previous_time"] == T0
    human = gatescan("--data", str(data), "check", token, "--at", str(T0 + 9))
    assert human.returncode == 3 and "ALREADY ADMITTED HERE" in human.stdout
    status = json.loads(gatescan("--data", str(data), "status", "--json").stdout)
    assert status["admitted"] == 1 and status["scans_by_outcome"]["repeat_read"] == 3


def test_an_unknown_gate_is_a_usage_error_and_records_nothing(
        loaded: tuple[Path, Issuer]) -> None:
    """Defect: `check --gate Nowhere` was recorded."""
    data, issuer = loaded
    out = gatescan("--data", str(data), "check", issuer.issue(10).token(T0), "--at", str(T0),
                   "--gate", "Nowhere", "--json")
    assert out.returncode == 2 and out.stdout == ""
    assert "no gate 'Nowhere'" in out.stderr and "Gate 1, Gate 2, VIP Gate" in out.stderr
    status = json.loads(gatescan("--data", str(data), "status", "--json").stdout)
    assert status["scans"] == 0
    window = gatescan("--data", str(data), "run", "--gate", "Nowhere",
                      env={"QT_QPA_PLATFORM": "offscreen"})
    assert window.returncode == 2 and "no gate 'Nowhere'" in window.stderr
    spelled = gatescan("--data", str(data), "check", issuer.issue(10).token(T0), "--at",
                       str(T0), "--gate", "gate 2", "--json")
    assert spelled.returncode == 0 and json.loads(spelled.stdout)["gate"] == "Gate 2"


def test_human_output_names_the_verdict(loaded: tuple[Path, Issuer]) -> None:
    data, issuer = loaded
    out = gatescan("--data", str(data), "check", issuer.issue(6).token(T0 - 300), "--at", str(T0))
    assert out.returncode == 1
    assert "REFUSED" in out.stdout and "Screenshot" in out.stdout


def test_dry_run_records_nothing(loaded: tuple[Path, Issuer]) -> None:
    data, issuer = loaded
    token = issuer.issue(7).token(T0)
    for _ in range(2):
        out = gatescan("--data", str(data), "check", token, "--at", str(T0), "--dry-run",
                       "--json")
        assert out.returncode == 0 and json.loads(out.stdout)["recorded"] is False
    status = json.loads(gatescan("--data", str(data), "status", "--json").stdout)
    assert status["scans"] == 0 and status["tickets"] == 49


def test_token_from_stdin_and_exit_direction(loaded: tuple[Path, Issuer]) -> None:
    data, issuer = loaded
    token = issuer.issue(8).token(T0)
    out = gatescan("--data", str(data), "check", "-", "--at", str(T0), "--direction", "exit",
                   "--json", stdin=token + "\r\n")
    assert out.returncode == 0 and json.loads(out.stdout)["outcome"] == "exit_recorded"


def test_data_dir_from_environment(loaded: tuple[Path, Issuer]) -> None:
    data, _ = loaded
    out = gatescan("status", "--json", env={"GATESCAN_DATA": str(data)})
    assert out.returncode == 0
    assert json.loads(out.stdout)["event"]["name"] == "Test Festival"


def test_tampered_manifest_is_refused_and_ledger_kept(loaded: tuple[Path, Issuer],
                                                      tmp_path: Path) -> None:
    data, issuer = loaded
    good = issuer.manifest([(n, 1, 0, None) for n in range(1, 10)], sequence=2)
    bad = tmp_path / "bad.gsm"
    assert b'["t",5,1,0,null]' in good
    bad.write_bytes(good.replace(b'["t",5,1,0,null]', b'["t",5,2,0,null]'))
    out = gatescan("--data", str(data), "import-manifest", str(bad))
    assert out.returncode == 2
    assert "manifest refused" in out.stderr and "unchanged" in out.stderr
    status = json.loads(gatescan("--data", str(data), "status", "--json").stdout)
    assert status["tickets"] == 49 and status["manifest_sequence"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check"], "Missing argument"),
        (["check", "x", "--direction", "sideways"], "Invalid value"),
        (["check", "x", "--at", "noon"], "Invalid value"),
        (["import-manifest", "/nonexistent/file.gsm"], "cannot read"),
        (["frobnicate"], "No such command"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    out = gatescan("--data", str(tmp_path / "d"), *args)
    assert out.returncode == 2
    assert message in out.stderr


def test_check_without_an_event_explains_what_to_do(tmp_path: Path) -> None:
    out = gatescan("--data", str(tmp_path / "empty"), "check", "ABC")
    assert out.returncode == 2 and "import-manifest" in out.stderr


def test_status_without_an_event(tmp_path: Path) -> None:
    out = gatescan("--data", str(tmp_path / "empty"), "status", "--json")
    assert out.returncode == 0 and json.loads(out.stdout)["event"] is None


def test_check_a_compact_code_from_a_manifest_with_credentials(tmp_path: Path) -> None:
    issuer = Issuer()
    claimed, other = issuer.issue(5), issuer.issue(6)
    manifest = tmp_path / "event.gsm"
    manifest.write_bytes(issuer.manifest([(5, 1, 0, "A5"), (6, 1, 0, "A6")],
                                         credentials=[claimed.signed_credential]))
    data = tmp_path / "gate"
    assert gatescan("--data", str(data), "import-manifest", str(manifest), "--expect-key",
                    hashlib.sha256(issuer.public).hexdigest()).returncode == 0
    ok = gatescan("--data", str(data), "check", claimed.compact(T0), "--at", str(T0), "--json")
    assert ok.returncode == 0, ok.stderr
    assert (json.loads(ok.stdout)["outcome"], json.loads(ok.stdout)["seat"]) == ("admitted", "A5")
    short = gatescan("--data", str(data), "check", other.compact(T0), "--at", str(T0), "--json")
    verdict = json.loads(short.stdout)
    assert short.returncode != 0 and verdict["outcome"] == "needs_full_code"
    assert verdict["level"] == "check" and verdict["ticket_id"] is None
    full = gatescan("--data", str(data), "check", other.token(T0), "--at", str(T0), "--json")
    assert full.returncode == 0 and json.loads(full.stdout)["outcome"] == "admitted"
