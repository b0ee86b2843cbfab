"""`gatescan run` turnstile options: validated before any window opens, usage errors exit 2."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from gatescan.gate.actuators.commands import relay_settings
from gatescan.gate.actuators.spec import RelaySpec
from gatescan.gate.cli import main


@pytest.mark.parametrize(("args", "words"), [
    (["--relay", "gpio:99"], "0 to 27"),
    (["--relay", "usb:1"], "unknown relay kind"),
    (["--passed-pin", "27"], "needs a relay"),
    (["--relay", "gpio:17", "--passed-pin", "17"], "both the relay and"),
    (["--relay", "gpio:17", "--pulse-ms", "5"], "pulse length"),
    (["--relay", "gpio:17", "--passed-pin", "27", "--passed-timeout", "0"], "passage timeout"),
    (["--relay", "gpio:17", "--passed-pin", "27", "--passed-timeout", "60", "--undo-window",
      "30"], "shorter than --undo-window"),
])
def test_bad_turnstile_options_are_usage_errors(tmp_path: Path, args: list[str],
                                                 words: str) -> None:
    result = CliRunner().invoke(main, ["--data", str(tmp_path), "run", *args])
    assert result.exit_code == 2, result.output
    assert words in result.output
    assert not (tmp_path / "ledger.db").exists()  # nothing started


def test_good_options_build_the_settings() -> None:
    settings = relay_settings("serial:/dev/ttyUSB0:2", 300, None, 10.0)
    assert settings.relay == RelaySpec("serial", port="/dev/ttyUSB0", channel=2)
    assert settings.pulse_ms == 300
    assert relay_settings(None, 500, None, 10.0).relay is None


def test_help_names_the_relay_kinds() -> None:
    result = CliRunner().invoke(main, ["run", "--help"])
    assert result.exit_code == 0
    for word in ("--relay", "gpio:PIN", "serial:PORT", "cmd:COMMAND", "--passed-pin",
                 "--undo-window"):
        assert word in result.output


def test_relay_test_pulses_once_through_a_real_command(tmp_path: Path) -> None:
    out = tmp_path / "pulses.txt"
    script = "import os, sys; open(sys.argv[1], 'a').write(os.environ['GATESCAN_PULSE_MS'])"
    result = CliRunner().invoke(main, ["relay-test", "--relay",
                                       f"cmd:{sys.executable} -c \"{script}\" {out}",
                                       "--pulse-ms", "250"])
    assert result.exit_code == 0, result.output
    assert out.read_text() == "250" and "for 250 ms" in result.output
    failed = CliRunner().invoke(main, ["relay-test", "--relay", f"cmd:{tmp_path / 'nope'}"])
    assert failed.exit_code == 2 and "cannot start" in failed.output
