"""The event form's fields -> the event document `plans.build_plan` reads (and back)."""

from __future__ import annotations

from typing import Any

EXTRA_ROWS = 2  # empty gate and ticket-type rows the form always offers
FIELDS = ("name", "venue", "tz", "doors", "start", "end", "rotation_period")
TYPE_FIELDS = ("type_id", "type_name", "type_zones", "type_gates", "type_max", "type_per_day",
               "type_reentry", "type_slot_start", "type_slot_end", "type_inventory")


def _column(form: dict[str, list[str]], name: str, size: int) -> list[str]:
    values = form.get(name, [])
    return [v.strip() for v in values] + [""] * (size - len(values))


def document(form: dict[str, list[str]]) -> dict[str, Any]:
    """The event document of a posted form (rows with an empty name are skipped)."""
    doc: dict[str, Any] = {k: (form.get(k) or [""])[0].strip() for k in FIELDS}
    if not doc["rotation_period"]:
        doc.pop("rotation_period")
    names = form.get("gate_name", [])
    zones = _column(form, "gate_zone", len(names))
    doc["gates"] = [{"name": n.strip(), "zone": z} for n, z in zip(names, zones, strict=False)
                    if n.strip()]
    size = len(form.get("type_name", []))
    cols = {f: _column(form, f, size) for f in TYPE_FIELDS}
    types = []
    for i in range(size):
        if not cols["type_name"][i]:
            continue
        row: dict[str, Any] = {
            "name": cols["type_name"][i], "zones": cols["type_zones"][i],
            "gates": cols["type_gates"][i], "max_entries": cols["type_max"][i] or "1",
            "per_day": cols["type_per_day"][i] == "yes",
            "reentry": cols["type_reentry"][i] == "yes",
            "slot_start": cols["type_slot_start"][i], "slot_end": cols["type_slot_end"][i],
            "inventory": cols["type_inventory"][i]}
        if cols["type_id"][i]:
            row["id"] = cols["type_id"][i]
        types.append(row)
    doc["ticket_types"] = types
    return _numbers(doc)


def _numbers(doc: dict[str, Any]) -> dict[str, Any]:
    """Whole-number fields as ints where they are digits (the plan checks the rest)."""
    for t in doc["ticket_types"]:
        for key in ("id", "max_entries", "inventory"):
            value = t.get(key)
            if isinstance(value, str) and value.isdigit():
                t[key] = int(value)
    return doc


def rows(doc: dict[str, Any], extra: int = EXTRA_ROWS) -> dict[str, Any]:
    """The document with `extra` empty rows appended, ready for the form template."""
    gates = list(doc.get("gates", [])) + [{"name": "", "zone": ""}] * extra
    blank = {"id": "", "name": "", "zones": [], "gates": [], "max_entries": 1,
             "per_day": False, "reentry": False, "slot_start": "", "slot_end": "",
             "inventory": ""}
    types = []
    for t in list(doc.get("ticket_types", [])) + [blank] * extra:
        t = dict(t)
        for key in ("zones", "gates"):
            if isinstance(t.get(key), list):
                t[key] = ", ".join(t[key])
        types.append(t)
    return {**doc, "gates": gates, "ticket_types": types}
