"""What a gate tells the server about itself on every sync request: two headers.

`x-gatescan-app` is the gate's app version (e.g. `0.1.0`), `x-gatescan-pending`
how many scans it still holds unsent. The server keeps the latest of each per device
and shows them in the device list (docs/sync-protocol.md, "Device report"). They
are informational: a value that is missing or not well formed is ignored, never
refused, so an older or a hostile gate cannot break its own sync with them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

APP_HEADER = "x-gatescan-app"
PENDING_HEADER = "x-gatescan-pending"
MAX_VERSION = 64
MAX_PENDING = 10**9
_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}")
_COUNT = re.compile(r"[0-9]{1,10}")


@dataclass(frozen=True, slots=True)
class Report:
    """A device's report; None where it said nothing usable."""

    app_version: str | None = None
    pending_uploads: int | None = None


def read_report(app: str | None, pending: str | None) -> Report:
    """The report in two header values (either may be absent); never raises."""
    version = app.strip() if app is not None else None
    if version is not None and _VERSION.fullmatch(version) is None:
        version = None
    count = None
    if pending is not None and _COUNT.fullmatch(pending.strip()):
        count = int(pending.strip())
        if count > MAX_PENDING:
            count = None
    return Report(version, count)


def report_headers(app_version: str, pending_uploads: int | None) -> dict[str, str]:
    """The headers that carry a report (the pending count only when it is known)."""
    headers = {APP_HEADER: app_version}
    if pending_uploads is not None:
        headers[PENDING_HEADER] = str(max(0, pending_uploads))
    return headers
