"""Rough edges of both command lines, found by a new user (issue 16), through the real scripts."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

BIN = Path(sys.executable).parent


def _run(script: str, *args: str, env: dict[str, str] | None = None
         ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / script), *args], capture_output=True, text=True,
                          timeout=60, env={**os.environ, **(env or {})})


def _command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    ctx = click.Context(group)
    paths = [prefix]
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            paths += _command_paths(command, (*prefix, name))
        else:
            paths.append((*prefix, name))
    return paths


def _all_paths() -> list[tuple[str, tuple[str, ...]]]:
    from gatescan.gate.cli import main as gate_main
    from gatescan.server.cli import main as server_main

    return ([("gatescan", p) for p in _command_paths(gate_main)]
            + [("gatescan-server", p) for p in _command_paths(server_main)])


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_both_clis_take_h_and_help_on_every_command(flag: str, tmp_path: Path) -> None:
    env = {"GATESCAN_DATA": str(tmp_path / "g"), "GATESCAN_SERVER_DATA": str(tmp_path / "s")}
    failures = []
    for script, path in _all_paths():
        out = _run(script, *path, flag, env=env)
        if out.returncode != 0 or "Usage:" not in out.stdout:
            failures.append(f"{script} {' '.join(path)} {flag}: exit {out.returncode} "
                            f"{out.stderr.strip()[:120]}")
    assert not failures, "\n".join(failures)
    assert not (tmp_path / "g").exists() and not (tmp_path / "s").exists()


def test_status_prints_words_for_unset_fields_and_json_keeps_null(tmp_path: Path) -> None:
    data = str(tmp_path / "gate")
    text = _run("gatescan", "--data", data, "status")
    assert text.returncode == 0, text.stderr
    assert "None" not in text.stdout
    assert "not enrolled" in text.stdout and "never" in text.stdout
    as_json = _run("gatescan", "--data", data, "status", "--json")
    assert '"last_sync": null' in as_json.stdout and '"device_id": null' in as_json.stdout


@pytest.mark.parametrize(("script", "args"), [
    ("gatescan", ("check", "GS1:X", "--at")),
    ("gatescan", ("check", "GS1:X", "--dry-run", "--at")),
    ("gatescan-demo", ("token", "01", "--at")),
])
@pytest.mark.parametrize("when", ["-5", "-1e9", "100", "nan", "inf", "1e30", "4294967296"])
def test_negative_or_absurd_times_are_refused(tmp_path: Path, script: str,
                                              args: tuple[str, ...], when: str) -> None:
    out = _run(script, "--data", str(tmp_path), *args, when)
    assert out.returncode == 2, out.stdout
    assert "--at" in out.stderr and "Traceback" not in out.stderr
    assert out.stdout == ""


def test_an_exit_scan_reads_as_an_exit_not_an_admit(tmp_path: Path) -> None:
    from tests.factories import T0, Issuer

    issuer = Issuer()
    manifest = issuer.write_manifest(tmp_path / "event.gsm", [(1, 1, 0, None)])
    data = str(tmp_path / "gate")
    pin = hashlib.sha256(issuer.public).hexdigest()  # a first import is pinned
    assert _run("gatescan", "--data", data, "import-manifest", str(manifest), "--expect-key",
                pin).returncode == 0
    token = issuer.issue(1).token(T0)
    out = _run("gatescan", "--data", data, "check", token, "--at", str(T0), "--direction",
               "exit")
    assert out.returncode == 0, out.stderr
    first_line = out.stdout.splitlines()[0]
    assert "EXIT OK" in first_line and "ADMIT" not in first_line
