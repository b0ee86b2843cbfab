"""The event clock: one place that turns a unix time into the event's local time.

An event names an IANA time zone (`EventPolicy.tz`, e.g. "Europe/Berlin"), so
times shown to staff and day boundaries of multi-day passes stay right across
a daylight-saving change. Manifests from before the zone name carry only
`tz_offset_minutes`; they get a fixed-offset zone. Every time a gate or the
server shows or exports goes through these functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MAX_ZONE_NAME = 64
# IANA names: "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "UTC".
# The pattern keeps paths ("../x", "/etc/passwd") and odd bytes away from zoneinfo's file lookup.
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9][A-Za-z0-9_+\-]*)*")
_EPOCH_DAY = datetime(1970, 1, 1).toordinal()
# datetime's range (years 1..9999) less two days for any offset: a policy slot may say
# anything up to 2**63, and a clock must not raise on it.
_MIN_T = -62_135_596_800 + 2 * 86_400
_MAX_T = 253_402_300_799 - 2 * 86_400


class EventTime(Protocol):
    """What the clock needs from an event: its zone name and the legacy fixed offset."""

    @property
    def tz(self) -> str | None:
        """IANA time zone name, or None for a legacy fixed-offset event."""
        ...

    @property
    def tz_offset_minutes(self) -> int:
        """Fixed offset from UTC, used only when `tz` is None."""
        ...


@dataclass(frozen=True, slots=True)
class EventZone:
    """An event's zone on its own, for code that has no policy at hand (UI, exports)."""

    tz: str | None = None
    tz_offset_minutes: int = 0

    @classmethod
    def of(cls, event: EventTime | None) -> EventZone:
        """The zone of `event` (UTC for none)."""
        return cls() if event is None else cls(event.tz, event.tz_offset_minutes)

    def label(self) -> str:
        """What to call the zone on screen: its IANA name, or "UTC+02:00" for a fixed offset."""
        if self.tz:
            return self.tz
        sign = "-" if self.tz_offset_minutes < 0 else "+"
        hours, minutes = divmod(abs(self.tz_offset_minutes), 60)
        return f"UTC{sign}{hours:02d}:{minutes:02d}"


UTC_ZONE = EventZone()


class UnknownZoneError(ValueError):
    """A time zone name that is not an IANA zone this platform (or tzdata) knows."""


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The IANA zone called `name`; raises `UnknownZoneError` for anything else."""
    if not isinstance(name, str) or len(name) > MAX_ZONE_NAME or not _ZONE_NAME.fullmatch(name):
        raise UnknownZoneError(f"not a time zone name: {name!r}")
    try:
        found = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # ValueError: a file in the zone directory that is not a zone (e.g. "zone1970.tab").
        raise UnknownZoneError(f"unknown time zone: {name!r}") from None
    return found


def fixed_zone(offset_minutes: int) -> tzinfo:
    """A zone that is always `offset_minutes` from UTC (old manifests without a zone name)."""
    return UTC if offset_minutes == 0 else timezone(timedelta(minutes=offset_minutes))


def event_zone(event: EventTime) -> tzinfo:
    """The event's zone: its IANA zone if named, else the fixed offset."""
    return zone(event.tz) if event.tz else fixed_zone(event.tz_offset_minutes)


def local_time(t: float, event: EventTime) -> datetime:
    """The aware local date and time of unix time `t` in the event's zone."""
    return datetime.fromtimestamp(min(max(t, _MIN_T), _MAX_T), event_zone(event))


def format_hm(t: float, event: EventTime) -> str:
    """Event-local "HH:MM"."""
    return local_time(t, event).strftime("%H:%M")


def format_hms(t: float, event: EventTime) -> str:
    """Event-local "HH:MM:SS"."""
    return local_time(t, event).strftime("%H:%M:%S")


def format_day_hm(t: float, event: EventTime) -> str:
    """Event-local "DD Mon HH:MM" (English month abbreviation, whatever the C locale says)."""
    local = local_time(t, event)
    month = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
             "Dec")[local.month - 1]
    return f"{local.day:02d} {month} {local:%H:%M}"


def format_iso(t: float, event: EventTime) -> str:
    """ISO 8601 with the event's UTC offset at that instant, to the second."""
    return local_time(t, event).isoformat(timespec="seconds")


def local_day(t: float, event: EventTime) -> int:
    """The event-local calendar day of `t`, as days since 1970-01-01 (for per-day limits)."""
    return local_time(t, event).toordinal() - _EPOCH_DAY


def offset_minutes(name: str, at: float) -> int:
    """The UTC offset of zone `name` at unix time `at`, in minutes (for old gates' fixed offset)."""
    delta = datetime.fromtimestamp(at, zone(name)).utcoffset()
    return int(delta.total_seconds() // 60) if delta is not None else 0
