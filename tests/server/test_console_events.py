"""Event plans (TOML/form -> checked plan), inventory limits, drafts, and the event CLI."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gatescan.server import issuer
from gatescan.server.console import events, forms, plans
from gatescan.server.errors import IssuerError
from gatescan.server.settings import load_settings
from gatescan.server.store import IssuerStore
from tests.server.helpers import cli, cli_json

EVENT_TOML = """\
name = "Riverside Festival"
venue = "Riverside Park"
tz = "Europe/Berlin"
doors = 2026-07-01T17:00:00
start = 2026-07-01T18:00:00
end = "2026-07-01T23:30"
rotation_period = 20

[[gates]]
name = "North"

[[gates]]
name = "VIP door"
zone = "vip"

[[ticket_types]]
name = "Early bird"
zones = ["main"]
inventory = 2

[[ticket_types]]
name = "VIP"
zones = ["vip"]
reentry = true

[[ticket_types]]
name = "Weekend pass"
per_day = true
max_entries = 1
slot_start = 2026-07-01T12:00:00
slot_end = 2026-07-03T23:00:00
"""
KEY = bytes(32)


def _doc(**extra: Any) -> dict[str, Any]:
    return {"name": "N", "tz": "UTC", "gates": [{"name": "A"}],
            "ticket_types": [{"name": "T"}], **extra}


def test_plan_takes_local_times_in_the_event_zone() -> None:
    import tomllib

    plan = plans.build_plan(tomllib.loads(EVENT_TOML))
    assert plan.tz == "Europe/Berlin" and plan.policy.tz_offset_minutes == 120
    assert plan.starts_at == 1782921600  # 2026-07-01 16:00 UTC
    assert plan.policy.rotation_period == 20 and plan.limits == {1: 2}
    weekend = plan.policy.ticket_type(3)
    assert weekend is not None and weekend.per_day and weekend.slot is not None
    assert plans.local_text(plan.ends_at, plan.tz) == "2026-07-01T23:30"


@pytest.mark.parametrize(("change", "code", "words"), [
    ({"tz": "Mars/Olympus"}, "bad_event", "IANA"),
    ({"tz": "../../etc/passwd"}, "bad_event", "IANA"),
    ({"start": "tomorrow"}, "bad_event", "date and time"),
    ({"start": "2026-07-02T10:00", "end": "2026-07-01T10:00"}, "bad_event", "before"),
    ({"ticket_types": [{"name": "T", "zones": ["vipp"]}]}, "bad_plan", "no gate opens into"),
    ({"ticket_types": [{"name": "T", "gates": ["B"]}]}, "bad_plan", "does not have"),
    ({"gates": [{"name": "A"}, {"name": "a"}]}, "bad_plan", "same name"),
    ({"ticket_types": [{"name": "T", "inventory": -1}]}, "bad_event", "inventory"),
    ({"ticket_types": [{"name": "T", "slot_start": "2026-07-01T10:00"}]}, "bad_event", "slot"),
])
def test_plan_refusals_name_the_reason(change: dict[str, Any], code: str, words: str) -> None:
    with pytest.raises(IssuerError) as caught:
        plans.build_plan(_doc(**change))
    assert caught.value.code == code and words in caught.value.message


JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=30),
                       lambda inner: st.lists(inner, max_size=4) |
                       st.dictionaries(st.text(max_size=12), inner, max_size=5), max_leaves=20)
FIELDS = st.fixed_dictionaries({}, optional={
    k: JSONISH for k in ("name", "venue", "tz", "doors", "start", "end", "rotation_period",
                         "gates", "ticket_types")})


@settings(max_examples=300, deadline=None)
@given(FIELDS)
def test_any_document_is_a_plan_or_an_issuer_error(doc: dict[str, Any]) -> None:
    try:
        plan = plans.build_plan(doc)
    except IssuerError as exc:
        assert exc.code in {"bad_event", "bad_plan", "bad_policy"}
    else:
        assert plan.policy.name


def test_inventory_limit_refuses_the_ticket_beyond_it(tmp_path: Path) -> None:
    with IssuerStore.open(load_settings(tmp_path)) as store:
        import tomllib

        event_id = events.create(store, plans.build_plan(tomllib.loads(EVENT_TOML)))
        now = int(time.time())
        issuer.issue_ticket(store, event_id, 1, KEY, now, now + 3600)
        issuer.issue_ticket(store, event_id, 2, KEY, now, now + 3600)  # no limit on type 2
        issuer.issue_ticket(store, event_id, 1, KEY, now, now + 3600)
        with pytest.raises(IssuerError) as caught:
            issuer.issue_ticket(store, event_id, 1, KEY, now, now + 3600)
        assert caught.value.code == "sold_out" and "0 of 2 left" in caught.value.message
        assert len(store.tickets_page(event_id, 0, 10)) == 3
        with pytest.raises(IssuerError) as caught:
            events.delete_draft(store, event_id)
        assert caught.value.code == "not_draft"


def test_deleting_a_draft_removes_its_rows_and_key(tmp_path: Path) -> None:
    with IssuerStore.open(load_settings(tmp_path)) as store:
        event_id = events.create(store, plans.build_plan(_doc()))
        keys = list((tmp_path / "keys").iterdir())
        assert len(keys) == 1
        events.delete_draft(store, event_id)
        assert store.event(event_id) is None and not list((tmp_path / "keys").iterdir())


def test_event_cli_create_list_archive(tmp_path: Path) -> None:
    source = tmp_path / "event.toml"
    source.write_text(EVENT_TOML, encoding="utf-8")
    made = cli_json(tmp_path, "event", "create", "--from", str(source))
    assert made["name"] == "Riverside Festival" and made["start"] == "2026-07-01T18:00"
    assert made["draft"] is True and made["tz"] == "Europe/Berlin"
    listed = cli_json(tmp_path, "event", "list")["events"]
    assert [e["event_id"] for e in listed] == [made["event_id"]]
    assert cli_json(tmp_path, "event", "archive", str(made["event_id"]))["archived"] is True
    assert cli_json(tmp_path, "event", "list")["events"] == []
    archived = cli_json(tmp_path, "event", "list", "--archived")["events"]
    assert archived[0]["archived"] is True
    assert cli(tmp_path, "event", "archive", "99").exit_code == 2


@pytest.mark.parametrize(("text", "words"), [
    ('name = "x"\ntz = ', "not valid TOML"),
    ('name = "x"\ntz = "UTC"\n[[gates]]\nname = "A"\n[[ticket_types]]\nname = "T"\n'
     'zones = ["vip"]\n', "no gate opens into"),
    ('name = "x"\ntz = "Nowhere/Land"\n', "IANA"),
])
def test_event_create_refuses_bad_files_with_exit_2(tmp_path: Path, text: str,
                                                    words: str) -> None:
    source = tmp_path / "event.toml"
    source.write_text(text, encoding="utf-8")
    result = cli(tmp_path, "event", "create", "--from", str(source))
    assert result.exit_code == 2 and words in result.stderr, result.output
    assert cli_json(tmp_path, "event", "list")["events"] == []


def test_commands_need_event_when_several_are_active(tmp_path: Path) -> None:
    source = tmp_path / "event.toml"
    source.write_text(EVENT_TOML, encoding="utf-8")
    first = cli_json(tmp_path, "event", "create", "--from", str(source))["event_id"]
    assert cli(tmp_path, "device", "list").exit_code == 0  # one active event: the default
    second = cli_json(tmp_path, "event", "create", "--from", str(source))["event_id"]
    for args in (["device", "list"], ["manifest"]):
        result = cli(tmp_path, *args)
        assert result.exit_code == 2, (args, result.output)
        assert "pass --event" in result.stderr and str(first) in result.stderr
        assert str(second) in result.stderr
    cli_json(tmp_path, "event", "archive", str(second))
    listed = json.loads(cli(tmp_path, "device", "list", "--json").stdout)
    assert listed is not None  # the archived event no longer counts: the default is back


def test_account_add_from_stdin(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from gatescan.server.cli import main

    run = CliRunner().invoke(main, ["--data", str(tmp_path), "account", "add",
                                    "Boss@Example.org", "--role", "owner", "--all", "--json",
                                    "--password-stdin"], input="correct horse battery\n")
    assert run.exit_code == 0, run.output
    out = json.loads(run.stdout)
    assert out["email"] == "boss@example.org" and out["created"] and out["event_id"] is None
    assert "correct horse" not in run.output
    short = CliRunner().invoke(main, ["--data", str(tmp_path), "account", "add", "b@x.org",
                                      "--role", "viewer", "--all", "--password-stdin"],
                               input="short\n")
    assert short.exit_code == 2 and "10 to 1024" in short.stderr
    both = cli(tmp_path, "account", "add", "c@x.org", "--role", "staff")
    assert both.exit_code == 2 and "--event ID and --all" in both.stderr


def test_every_console_string_has_a_chinese_translation() -> None:
    import re

    from gatescan.server.console import i18n, routes

    folder = Path(routes.__file__).parent / "templates"
    used = set()
    for page in folder.glob("*.html"):
        used |= set(re.findall(r't\("([^"]+)"\)', page.read_text(encoding="utf-8")))
        used |= set(re.findall(r"t\('([^']+)'\)", page.read_text(encoding="utf-8")))
    used |= set(routes.FLASH.values()) | {"owner", "staff", "viewer", "Not allowed",
                                          "Not found", "Sign in", "Events", "Audit log"}
    missing = sorted(u for u in used if u not in i18n.ZH)
    assert missing == []


FORM_KEYS = st.sampled_from(["name", "venue", "tz", "doors", "start", "end", "rotation_period",
                             "gate_name", "gate_zone", *forms.TYPE_FIELDS, "csrf", "other"])
FORMS = st.dictionaries(FORM_KEYS, st.lists(st.text(max_size=20), max_size=4), max_size=14)


@settings(max_examples=300, deadline=None)
@given(FORMS)
def test_any_posted_form_is_a_plan_or_an_issuer_error(form: dict[str, list[str]]) -> None:
    doc = forms.document(form)
    try:
        plans.build_plan(doc)
    except IssuerError as exc:
        assert exc.code in {"bad_event", "bad_plan", "bad_policy"}
    assert forms.rows(doc)["gates"][-1] == {"name": "", "zone": ""}
