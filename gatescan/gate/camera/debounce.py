"""Debounce by ticket, not by text: a rotating code held in view is one scan.

A GateScan token's text changes every rotation period, so the key is the
ticket (event id + ticket id) parsed from the token; any other code (an
enrollment handshake, a foreign QR) is keyed by its text. A key is quiet while
it keeps being seen and becomes new again only after `cooldown` seconds out of
view. Each key has its own timer, so the next person's ticket is never delayed.
"""

from __future__ import annotations

import logging
import threading

from gatescan.protocol.token import TokenError, format_ticket_id, parse_compact, parse_token

log = logging.getLogger(__name__)

DEFAULT_COOLDOWN = 3.0  # matches the default EventPolicy.repeat_read_seconds


def debounce_key(text: str) -> str:
    """The identity a code is debounced by: its ticket if it is a GateScan token, else its text."""
    try:
        token = parse_token(text)
    except TokenError:
        try:  # a compact v2 code names its event by the id's low byte only
            code = parse_compact(text)
        except TokenError:
            return "text:" + text
        return f"ticket:~{code.event_tag}:{format_ticket_id(code.ticket_id)}"
    cred = token.credential
    return f"ticket:{cred.event_id}:{format_ticket_id(cred.ticket_id)}"


def describe_code(text: str, key: str | None = None) -> str:
    """A loggable label for a code: its ticket id, or a short prefix of other text."""
    key = key or debounce_key(text)
    if key.startswith("ticket:"):
        return key
    return f"text {text[:8]!r}... ({len(text)} chars)"


class Debouncer:
    """Decides whether a sighting of a code is a new scan; thread-safe."""

    def __init__(self, cooldown: float = DEFAULT_COOLDOWN, max_keys: int = 4096) -> None:
        if cooldown < 0:
            raise ValueError("cooldown must be 0 or more seconds")
        self.cooldown = cooldown
        self.max_keys = max_keys
        self._last_seen: dict[str, float] = {}
        self._keys: dict[str, str] = {}  # text -> key: a code stays in view for many frames
        self._lock = threading.Lock()

    def key(self, text: str) -> str:
        """`debounce_key(text)`, remembered for the few texts currently in view."""
        with self._lock:
            key = self._keys.get(text)
        if key is None:
            key = debounce_key(text)
            with self._lock:
                if len(self._keys) >= 64:
                    self._keys.clear()
                self._keys[text] = key
        return key

    def accept(self, text: str, now: float) -> bool:
        """True if `text` seen at monotonic time `now` is a new scan; every sighting is noted."""
        key = self.key(text)
        with self._lock:
            last = self._last_seen.pop(key, None)
            self._last_seen[key] = now if last is None else max(now, last)
            if len(self._last_seen) > self.max_keys:
                self._prune(now)
        return last is None or now - last >= self.cooldown

    def forget(self, text: str) -> None:
        """Let the next sighting of this code's ticket count as a new scan (manual re-scan)."""
        key = self.key(text)
        with self._lock:
            self._last_seen.pop(key, None)

    def _prune(self, now: float) -> None:
        # dict order is insertion order and accept() re-inserts: oldest sightings come first
        stale = [k for k, t in self._last_seen.items() if now - t >= self.cooldown]
        for key in stale:
            del self._last_seen[key]
        while len(self._last_seen) > self.max_keys:
            del self._last_seen[next(iter(self._last_seen))]
