"""Simulated power cuts (tests/crashvfs.py) during redemptions, a manifest import and a sync round.

The real `Ledger` code runs through an APSW connection on a VFS that drops every
write not yet synced when the power goes (half the cuts also keep a random part
of them, the last torn). After each "reboot" the stdlib ledger opens the file
(quick_check included) and the test checks: every verdict reported as recorded
is there with its outcome, no ticket is admitted twice, the hash chain verifies,
and an import or a sync page is all there or not at all.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.ledger.replica import CURSOR_KEY
from gatescan.gate.verify.view import GateContext
from gatescan.protocol.token import format_ticket_id
from tests.crashvfs import ApswConnection, PowerCut, PowerCutDisk, PowerCutVFS
from tests.factories import T0, Issuer

# Cuts per workload (docs/reliability.md quotes these; tests/test_reliability_doc.py checks).
CUTS = {"redeem": 450, "import": 300, "sync": 300}
EVENT = 7
GATE = GateContext("Gate 1", "entry", "dev_000000000001")
TICKETS = [(0x9000 + i, 1, 0, f"R{i}") for i in range(40)]
LIAR_CUTS = 3  # the control runs
LOCAL_SCANS = 4  # made before the cut workloads start, for the sync round to acknowledge


@dataclass
class Reported:
    """What the code under test reported back before the power went."""

    scans: list[tuple[str, str]] = field(default_factory=list)  # (scan_id, outcome)
    steps: set[str] = field(default_factory=set)


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    return Issuer()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, issuer: Issuer) -> tuple[Path, list[str]]:
    """A checkpointed ledger with the event loaded and a few unsent local scans."""
    base = tmp_path_factory.mktemp("template")
    manifest = issuer.write_manifest(base / "m.gsm", TICKETS)
    path = base / "ledger.db"
    with Ledger(path) as led:
        led.import_manifest(manifest)
        ids = [led.redeem(issuer.issue(0x9000 + 30 + i).token(T0), T0, GATE).scan_id
               for i in range(LOCAL_SCANS)]
    assert not path.with_name("ledger.db-wal").exists()
    return path, [i for i in ids if i]


def _redeem_stream(led: Ledger, issuer: Issuer, out: Reported, _: list[str]) -> None:
    for i in range(4):
        r = led.redeem(issuer.issue(0x9000 + i).token(T0), T0 + i, GATE)
        out.scans.append((str(r.scan_id), r.verdict.outcome.value))
    again = led.redeem(issuer.issue(0x9001).token(T0), T0 + 9, GATE)  # already used
    out.scans.append((str(again.scan_id), again.verdict.outcome.value))
    manual = led.redeem_manual(0x9005, T0 + 10, GATE)
    out.scans.append((str(manual.scan_id), manual.verdict.outcome.value))


_UPDATE: list[bytes] = []


def _import(led: Ledger, issuer: Issuer, out: Reported, _: list[str]) -> None:
    if not _UPDATE:
        more = [(0xA000 + i, 1, 0, f"N{i}") for i in range(200)]
        _UPDATE.append(issuer.manifest(TICKETS + more, [(0x9002, None, "refund")], sequence=2))
    import io

    led.import_manifest(io.BytesIO(_UPDATE[0]))
    out.steps.add("import")
    r = led.redeem(issuer.issue(0xA001).token(T0), T0, GATE)
    out.scans.append((str(r.scan_id), r.verdict.outcome.value))


def _page() -> list[dict[str, Any]]:
    remote = [{"seq": 2 + i, "kind": "scan", "scan_id": f"{0xB0 + i:032x}",
               "ticket_id": format_ticket_id(0x9010 + i), "serial": 0, "gate": "Gate 2",
               "direction": "entry", "outcome": "admitted", "device_time": T0 - 60,
               "device_id": "dev_00000000000b"} for i in range(3)]
    return [{"seq": 1, "kind": "revocation", "ticket_id": format_ticket_id(0x9003),
             "serial": None, "reason": "refund"}, *remote]


def _sync_round(led: Ledger, issuer: Issuer, out: Reported, local: list[str]) -> None:
    led.apply_changes(EVENT, _page(), "c1", server_time=T0)
    out.steps.add("apply")
    led.record_upload_results(local[:3], at=T0)
    out.steps.add("acked")
    led.update_sync_state({"last_sync": str(T0)}, time_seen=T0)
    out.steps.add("state")


Workload = Callable[[Ledger, Issuer, Reported, list[str]], None]
WORKLOADS: dict[str, Workload] = {"redeem": _redeem_stream, "import": _import,
                                  "sync": _sync_round}


def _run(path: Path, issuer: Issuer, work: Workload, local: list[str],
         disk: PowerCutDisk, *, cut_at_end: bool = False) -> Reported:
    vfs = PowerCutVFS(disk)
    out = Reported()
    led: Ledger | None = None
    try:
        led = Ledger(path, connect=lambda p, t: ApswConnection(p, vfs, t))  # type: ignore[arg-type,return-value]
        work(led, issuer, out, local)
        disk.crashed = disk.crashed or cut_at_end
    except PowerCut:
        pass
    finally:
        if led is not None:
            led.close()
        vfs.unregister()
    disk.reboot()
    return out


def _check(path: Path, kind: str, out: Reported, local: list[str]) -> tuple[int, int]:
    """(wrong, lost) after the reboot; asserts the structural invariants."""
    with Ledger(path) as led:  # opens: quick_check and the schema check pass
        assert led.verify_chain().ok
        rows = {r[0]: (r[1], r[2], r[3]) for r in led.conn.execute(
            "SELECT scan_id, outcome, ticket_id, uploaded FROM scans")}
        admitted = [t for (o, t, _) in rows.values() if o == "admitted"]
        assert len(admitted) == len(set(admitted)), "a ticket admitted twice"
        lost = sum(1 for sid, _ in out.scans if sid not in rows)
        wrong = sum(1 for sid, outcome in out.scans if sid in rows and rows[sid][0] != outcome)
        status = led.status()
        if kind == "import":
            seq = status.manifest_sequence
            assert seq in (1, 2)
            assert status.tickets == (240 if seq == 2 else 40)  # all or nothing
            assert (led.ticket(0x9002).revoked) == (seq == 2)  # type: ignore[union-attr]
            lost += int("import" in out.steps and seq != 2)
        if kind == "sync":
            cursor = led.sync_state(CURSOR_KEY)
            remote = sum(1 for sid in rows if sid.startswith("0" * 29 + "0b"))
            assert cursor in (None, "c1")
            assert remote == (3 if cursor == "c1" else 0)  # the page and its cursor together
            assert led.ticket(0x9003).revoked == (cursor == "c1")  # type: ignore[union-attr]
            acked = [rows[s][2] for s in local[:3]]
            assert acked in ([0, 0, 0], [1, 1, 1])
            lost += int("apply" in out.steps and cursor != "c1")
            lost += int("acked" in out.steps and acked != [1, 1, 1])
            lost += int("state" in out.steps and led.sync_state("last_sync") != str(T0))
    return wrong, lost


@pytest.mark.parametrize("kind", sorted(CUTS))
def test_power_cuts_lose_no_recorded_verdict(kind: str, template: tuple[Path, list[str]],
                                             issuer: Issuer, tmp_path: Path) -> None:
    base, local = template
    work = WORKLOADS[kind]
    dry = PowerCutDisk()
    shutil.copyfile(base, tmp_path / "dry.db")
    done = _run(tmp_path / "dry.db", issuer, work, local, dry)
    assert _check(tmp_path / "dry.db", kind, done, local) == (0, 0)
    assert len(done.scans) == {"redeem": 6, "import": 1, "sync": 0}[kind]
    total = dry.ops
    rng = random.Random(f"power-{kind}")
    cuts = wrong = lost = 0
    for i in range(CUTS[kind]):
        path = tmp_path / f"cut{i}" / "ledger.db"
        path.parent.mkdir()
        shutil.copyfile(base, path)
        disk = PowerCutDisk(crash_at=rng.randint(1, total), torn=rng.random() < 0.5, rng=rng)
        out = _run(path, issuer, work, local, disk)
        cuts += disk.crashed
        w, lo = _check(path, kind, out, local)
        wrong += w
        lost += lo
        shutil.rmtree(path.parent)
    assert cuts == CUTS[kind]
    assert (wrong, lost) == (0, 0)


def test_the_simulator_catches_a_disk_that_lies_about_syncs(
        template: tuple[Path, list[str]], issuer: Issuer, tmp_path: Path) -> None:
    """The control: with syncs ignored, a cut after the stream loses scans the gate showed."""
    base, local = template
    lost = 0
    for i in range(LIAR_CUTS):
        path = tmp_path / f"liar{i}.db"
        shutil.copyfile(base, path)
        disk = PowerCutDisk(lying=True)
        # The power goes after the whole stream was reported.
        out = _run(path, issuer, _redeem_stream, local, disk, cut_at_end=True)
        assert len(out.scans) == 6
        lost += _check(path, "redeem", out, local)[1]
    assert lost == 6 * LIAR_CUTS
