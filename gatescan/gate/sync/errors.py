"""What can go wrong talking to the server, as typed errors with stable codes.

`ServerUnreachable` and `ServerFailed` are the weather of a venue network: the
engine goes offline and retries with backoff. `Refused` is the server saying no
(with its error code); `DeviceRevoked` is the one refusal that wipes the gate.
"""

from __future__ import annotations


class SyncError(Exception):
    """A sync failure; `code` is stable, `message` is for people (never holds a token)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


class ServerUnreachable(SyncError):
    """No answer: connection refused or dropped, DNS failure, or a timeout."""


class ServerFailed(SyncError):
    """The server answered, but with a 5xx or something that is not the protocol."""


class Refused(SyncError):
    """The server refused the request (4xx) with an error code from docs/sync-protocol.md."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(code, message)
        self.status = status


class DeviceRevoked(Refused):
    """The organizer revoked this device: it must wipe its event data."""


class EnrollError(SyncError):
    """An enrollment that failed; `message` says what to do about it."""
