"""The issuer's one error type: a refused request with a stable code and a plain message."""

from __future__ import annotations


class IssuerError(ValueError):
    """A request the issuer refuses (unknown ticket, revoked ticket, missing key, ...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
