"""The gate clock: server offset on a forward-only clock, the unset rule, per-boot reuse."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from gatescan.gate.sync.clock import DEFAULT_SLACK, GateClock, TimeSample
from gatescan.gate.sync.credentials import Credentials, CredentialsError
from gatescan.gate.sync.status import ClockState
from tests.factories import T0


class Fake:
    """Settable wall and boot clocks."""

    def __init__(self, wall: float, boot: float = 1000.0) -> None:
        self.wall, self.boot = wall, boot

    def clock(self, boot_id: str | None = "b1") -> GateClock:
        return GateClock(wall=lambda: self.wall, boot=lambda: self.boot,
                         boot_id_fn=lambda: boot_id)


def test_unset_only_when_clearly_behind_what_the_ledger_has_seen() -> None:
    t = Fake(T0)
    clock = t.clock()
    assert clock.state(None) is ClockState.UNSYNCED
    assert clock.state(T0 + DEFAULT_SLACK - 1) is ClockState.UNSYNCED  # drift, not unset
    assert clock.state(T0 + DEFAULT_SLACK + 1) is ClockState.UNSET
    assert not clock.trusted(T0 + 86400) and clock.now() == T0


def test_the_server_time_wins_and_setting_the_wall_clock_does_not_move_it() -> None:
    t = Fake(wall=0.0)  # booted in 1970
    clock = t.clock()
    clock.learn(TimeSample(sent=t.boot - 0.2, received=t.boot, server_time=T0))
    assert clock.state(T0 + 10**6) is ClockState.SYNCED and clock.now() == T0
    t.boot += 30
    t.wall = T0 + 7200  # someone sets the wall clock two hours wrong
    assert clock.now() == T0 + 30
    assert clock.offset() == pytest.approx(-7170)


def test_useless_samples_are_ignored() -> None:
    t = Fake(T0)
    clock = t.clock()
    clock.learn(TimeSample(10.0, 9.0, T0))  # received before sent
    clock.learn(TimeSample(0.0, 100.0, T0))  # a 100 s round trip
    clock.learn(TimeSample(0.0, 0.1, float("inf")))
    assert not clock.synced


def test_the_offset_survives_another_process_but_not_a_reboot() -> None:
    t = Fake(T0)
    first = t.clock("boot-a")
    first.learn(TimeSample(t.boot, t.boot, T0 + 500))
    stored = first.dump()
    assert t.clock("boot-a").restore(stored) and not t.clock("boot-b").restore(stored)
    assert not t.clock(None).restore(stored)  # no boot id: never trust a stored offset
    for junk in ("", "{", '{"boot_id": "boot-a", "offset": "nan"}', '[1]'):
        assert not t.clock("boot-a").restore(junk)


def test_credentials_file_is_owner_only_even_over_a_loose_leftover(tmp_path: Path) -> None:
    loose = tmp_path / f".credentials.json.{os.getpid()}.tmp"
    loose.write_text("old")
    os.chmod(loose, 0o644)
    path = Credentials("http://h", "dev_0123456789ab", "gsd_secret", 7, "Gate 1").save(tmp_path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert Credentials.load(tmp_path) == Credentials("http://h", "dev_0123456789ab",
                                                     "gsd_secret", 7, "Gate 1")
    path.write_text("{not json")
    with pytest.raises(CredentialsError):
        Credentials.load(tmp_path)
    Credentials.delete(tmp_path)
    assert Credentials.load(tmp_path) is None
