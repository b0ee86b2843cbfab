"""The organizer's read-only dashboard page: counts, entries per five minutes by gate, conflicts.

Plain server-rendered HTML with inline CSS and an inline SVG chart: no script,
no CDN, works on a venue laptop with no internet. Every value is escaped.
"""

from __future__ import annotations

import time
from html import escape
from typing import Any

from gatescan.protocol.clock import EventTime, EventZone, format_hm, format_hms
from gatescan.server.reports import Counts

MAX_CONFLICTS = 100  # the page lists the newest; the API and CSV have every one
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b",
          "#e377c2")
STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222;max-width:70rem}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .6rem;
text-align:right}th:first-child,td:first-child{text-align:left}.big{font-size:2rem;margin-right:2rem}
.bad{color:#b00020}.muted{color:#666}form{display:inline}
"""


def _page(title: str, body: str, refresh: int | None = None) -> str:
    meta = f'<meta http-equiv="refresh" content="{refresh}">' if refresh else ""
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">{meta}'
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>{body}"
            "</body></html>")


def login_page(message: str | None = None) -> str:
    """The admin login form (the admin token, posted once; a session cookie follows)."""
    note = f'<p class="bad">{escape(message)}</p>' if message else ""
    return _page("GateScan dashboard: sign in", f"""<h1>GateScan dashboard</h1>{note}
<form method="post" action="/dashboard/login"><label>Admin token
<input type="password" name="token" autocomplete="off" size="50" required></label>
<button type="submit">Sign in</button></form>
<p class="muted">Make one with <code>gatescan-server admin-token</code>.</p>""")


def _table(rows: dict[str, dict[str, int]], first: str) -> str:
    outcomes = sorted({o for r in rows.values() for o in r})
    if not rows:
        return '<p class="muted">No scans yet.</p>'
    head = "".join(f"<th>{escape(o)}</th>" for o in outcomes)
    body = "".join(
        f"<tr><td>{escape(name)}</td>" + "".join(f"<td>{r.get(o, 0)}</td>" for o in outcomes)
        + f"<td>{sum(r.values())}</td></tr>" for name, r in rows.items())
    return f"<table><tr><th>{escape(first)}</th>{head}<th>total</th></tr>{body}</table>"


def chart_svg(timeline: dict[str, Any], zone: EventTime, width: int = 760,
              height: int = 260) -> str:
    """Entries per bucket by gate as an inline SVG line chart.

    One point per bucket from the first to the last of `timeline` per gate: the
    timeline bounds both (`reports.MAX_BUCKETS`, `max_gates`)."""
    series, gates = timeline["series"], timeline["gates"]
    if not series:
        return '<p class="muted">No entries yet.</p>'
    bucket = timeline["bucket"]
    first, last = series[0]["start"], series[-1]["start"]
    steps = max(1, (last - first) // bucket)
    peak = max(max(p["counts"].values()) for p in series) or 1
    left, bottom, top, right = 40, 30, 10, 150
    plot_w, plot_h = width - left - right, height - top - bottom

    def xy(start: int, n: int) -> str:
        x = left + plot_w * ((start - first) // bucket) / steps
        return f"{x:.1f},{top + plot_h * (1 - n / peak):.1f}"

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'role="img" aria-label="entries per {bucket // 60} minutes by gate">',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
             'stroke="#999"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#999"/>',
             f'<text x="{left - 6}" y="{top + 10}" font-size="11" text-anchor="end">{peak}</text>',
             f'<text x="{left - 6}" y="{top + plot_h}" font-size="11" text-anchor="end">0</text>']
    for t, anchor in ((first, "start"), (last, "end")):
        label = format_hm(t, zone)
        x = xy(t, 0).split(",")[0]
        parts.append(f'<text x="{x}" y="{height - 8}" font-size="11" '
                     f'text-anchor="{anchor}">{label}</text>')
    by_start = {p["start"]: p["counts"] for p in series}
    for i, gate in enumerate(gates):
        color = COLORS[i % len(COLORS)]
        points = " ".join(xy(first + k * bucket, by_start.get(first + k * bucket, {}).get(gate, 0))
                          for k in range(steps + 1))
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" '
                     f'points="{points}"/>')
        parts.append(f'<rect x="{width - right + 10}" y="{top + 16 * i}" width="10" height="10" '
                     f'fill="{color}"/><text x="{width - right + 26}" y="{top + 16 * i + 9}" '
                     f'font-size="12">{escape(gate[:20])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _conflicts(conflicts: list[dict[str, Any]], zone: EventTime) -> str:
    if not conflicts:
        return '<p class="muted">No conflicts.</p>'
    rows = []
    for c in conflicts:
        scans = "<br>".join(
            f"{format_hms(sc['device_time'], zone)} "
            f"{escape(sc['gate'])} {escape(sc['direction'])} {escape(sc['outcome'])}"
            f" ({escape(sc['device_name'] or sc['device_id'] or sc['via'])})"
            for sc in c["scans"])
        rows.append(f"<tr><td><code>{escape(c['ticket_id'])}</code></td>"
                    f"<td>{escape(c['ticket_type'])}</td><td>{c['entries']} / {c['allowed']}"
                    f"</td><td style='text-align:left'>{scans}</td></tr>")
    return ("<table><tr><th>ticket</th><th>type</th><th>entries / allowed</th><th>scans "
            "(gate time)</th></tr>" + "".join(rows) + "</table>")


def _resent(report: dict[str, Any]) -> str:
    n = int(report.get("resent") or 0)
    return f", {n} scans re-sent" if n else ""


def rollback_banner(flagged: list[tuple[str, dict[str, Any]]]) -> str:
    """A banner naming the gates that found this server behind what it had acknowledged."""
    if not flagged:
        return ""
    items = "".join(
        f"<li>{escape(name)}: {escape(', '.join(map(str, r.get('kinds') or [r.get('kind')])))}"
        f"{_resent(r)}</li>"
        for name, r in flagged)
    return (f'<div class="bad" role="alert"><h2>This server looks restored from an older '
            f"backup</h2><p>These gates hold more than it does (their lost scans are sent "
            f"again automatically). Refunds, transfers and devices changed since the backup "
            f"are gone from the server: re-apply them (docs/operations.md, \"Restoring the "
            f"server from a backup\").</p><ul>{items}</ul></div>")


def _clipped(timeline: dict[str, Any]) -> str:
    n = int(timeline.get("clipped") or 0)
    return f'<p class="muted">{n} earlier entries are not charted.</p>' if n else ""


def _more(total: int, shown: int) -> str:
    if total <= shown:
        return ""
    return (f'<p class="muted">The newest {shown} of {total} conflicts; the API and the CSV '
            "have every one.</p>")


def _flagged(n: int) -> str:
    if not n:
        return ""
    return (f'<p class="bad">{n} scans carry an implausible gate clock time: counted above, '
            "left out of the chart (column time_flag in the CSV).</p>")


def dashboard_page(events: list[tuple[int, str]], event_id: int, name: str, zone: EventTime,
                   counts: Counts, timeline: dict[str, Any],
                   conflicts: list[dict[str, Any]],
                   rollbacks: list[tuple[str, dict[str, Any]]] | None = None) -> str:
    """The whole dashboard of one event."""
    picker = " · ".join(
        f'<a href="/dashboard?event={eid}">{escape(ename)}</a>' if eid != event_id
        else f"<b>{escape(ename)}</b>" for eid, ename in events)
    now = f"{format_hms(time.time(), zone)} {escape(EventZone.of(zone).label())}"
    body = f"""<h1>{escape(name)} <span class="muted">(event {event_id})</span></h1>
{rollback_banner(rollbacks or [])}<p>{picker}</p>
<p class="muted">Updated {now} (refreshes every 30 s) ·
<a href="/dashboard/scans.csv?event={event_id}">scan log as CSV</a> ·
<form method="post" action="/dashboard/logout"><button>Sign out</button></form></p>
<p><span class="big">{counts.admitted} admitted</span><span class="big">{counts.total} scans</span>
<span class="big {'bad' if counts.conflicts else ''}">{counts.conflicts} conflicts</span></p>
<h2>Entries per {timeline['bucket'] // 60} minutes by gate</h2>{chart_svg(timeline, zone)}
{_clipped(timeline)}
<h2>By gate</h2>{_table(counts.by_gate, "gate")}
<h2>By ticket type</h2>{_table(counts.by_type, "ticket type")}
<h2>Conflicts: tickets admitted more often than allowed</h2>{_conflicts(conflicts, zone)}
{_more(counts.conflicts, len(conflicts))}{_flagged(counts.time_flagged)}"""
    return _page(f"GateScan: {name}", body, refresh=30)


def no_event_page() -> str:
    """The dashboard before any event exists."""
    return _page("GateScan dashboard", "<h1>GateScan dashboard</h1><p>No event yet.</p>")


def choose_event_page(events: list[tuple[int, str]]) -> str:
    """The dashboard without an event id while several events are active: pick one."""
    links = "".join(f'<li><a href="/dashboard?event={eid}">{escape(name)}</a> '
                    f'<span class="muted">#{eid}</span></li>' for eid, name in events)
    return _page("GateScan dashboard", f"<h1>GateScan dashboard</h1><p>{len(events)} active "
                 f"events: choose one.</p><ul>{links}</ul>")
