"""A pushed batch checked in one pass gets exactly the results of checking it item by item."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from gatescan.protocol.policy import EventPolicy
from gatescan.server.api.scan_items import INVALID, WRONG_GATE, ItemChecker
from gatescan.server.ingest import REJECTED, ItemResult, ScanIn

PLAN = EventPolicy.from_dict({"event_id": 77, "name": "Plan", "gates": [
    {"name": "Gate 1"}, {"name": "Gate 2"}, {"name": "VIP Gate", "zone": "vip"}]})
CHECKER = ItemChecker()
DEVICE = "dev_000000000001"

HEX = "0123456789abcdef"
good_items = st.fixed_dictionaries(
    {"scan_id": st.text(HEX, min_size=32, max_size=32),
     "ticket_id": st.text(HEX, min_size=15, max_size=15).map(lambda t: "1" + t),
     "serial": st.integers(0, 0xFFFF),
     "gate": st.sampled_from(["Gate 1", "gate 1 ", "Gate 2", "VIP GATE", "Back door"]),
     "direction": st.sampled_from(["entry", "exit"]),
     "outcome": st.sampled_from(["admitted", "already_used", "repeat_read"]),
     "device_time": st.one_of(st.floats(0, 0xFFFFFFFF), st.integers(0, 0xFFFFFFFF))},
    optional={"source": st.sampled_from(["camera", "manual", None]),
              "reason": st.one_of(st.none(), st.text(max_size=20)),
              "event_id": st.sampled_from([77, 78]),
              "seq": st.integers(1, 2**40), "hash": st.text(HEX, min_size=64, max_size=64),
              "extra": st.integers()})
# Anything a JSON body may hold where an item should be, and items one field off.
any_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                        lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=6)


@st.composite
def broken_items(draw: st.DrawFn) -> Any:
    item = dict(draw(good_items))
    key = draw(st.sampled_from(sorted(item)))
    if draw(st.booleans()):
        del item[key]
    else:
        item[key] = draw(any_json)
    return item


batches = st.lists(st.one_of(good_items, good_items, broken_items(), any_json), max_size=12)


def _per_item(raws: list[Any], device_gate: str | None) -> list[ScanIn | ItemResult]:
    return [CHECKER.check(raw, policy=PLAN, device_id=DEVICE, device_gate=device_gate)
            for raw in raws]


@given(raws=batches, device_gate=st.sampled_from([None, "Gate 1", "VIP Gate"]))
def test_a_batch_gets_the_results_of_its_items_checked_one_by_one(
        raws: list[Any], device_gate: str | None) -> None:
    got = CHECKER.check_push(raws, policy=PLAN, device_id=DEVICE, device_gate=device_gate)
    assert got == _per_item(raws, device_gate)


@given(raws=st.lists(good_items, min_size=1, max_size=12))
def test_well_formed_items_become_the_scans_their_wire_records_say(raws: list[Any]) -> None:
    got = CHECKER.check_push(raws, policy=PLAN, device_id=DEVICE, device_gate=None)
    for raw, res in zip(raws, got, strict=True):
        if isinstance(res, ItemResult):  # out of scope: another event, a gate not planned
            assert res.status == REJECTED and res.scan_id == raw["scan_id"]
            continue
        assert (res.scan_id, res.ticket_id, res.serial, res.direction, res.outcome) == (
            raw["scan_id"], int(raw["ticket_id"], 16), raw["serial"], raw["direction"],
            raw["outcome"])
        assert res.device_time == raw["device_time"] and res.device_id == DEVICE
        assert PLAN.gate(raw["gate"].strip()) is not None
        assert res.gate == PLAN.gate(raw["gate"].strip()).name  # type: ignore[union-attr]
        assert (res.chain_seq, res.chain_hash) == (raw.get("seq"), raw.get("hash"))


def test_one_bad_item_rejects_only_itself() -> None:
    item = {"scan_id": "ab" * 16, "ticket_id": "0123456789abcdef", "serial": 0,
            "gate": "Gate 1", "direction": "entry", "outcome": "admitted",
            "device_time": 5.0}
    raws = [item, {**item, "scan_id": "cd" * 16, "serial": -1},
            {**item, "scan_id": "ef" * 16, "gate": "Gate 2"}]
    first, bad, elsewhere = CHECKER.check_push(raws, policy=PLAN, device_id=DEVICE,
                                               device_gate="Gate 1")
    assert isinstance(first, ScanIn) and first.gate == "Gate 1"
    assert isinstance(bad, ItemResult) and (bad.scan_id, bad.code) == ("cd" * 16, INVALID)
    assert bad.error is not None and bad.error.startswith("serial:")
    assert isinstance(elsewhere, ItemResult) and elsewhere.code == WRONG_GATE
