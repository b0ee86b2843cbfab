"""Secrets out of log lines: query parameters named like secrets, and anything shaped like a token.

Tokens travel in headers, but a client may put one in a query string by
mistake, and uvicorn's access log writes the whole request target. The
`RedactSecrets` filter rewrites every record of the server's loggers before any
handler formats it; `install` puts it on uvicorn's loggers (the app factory
and `gatescan-server serve` call it).
"""

from __future__ import annotations

import logging
import re

REDACTED = "[REDACTED]"
# A query parameter whose name contains one of these is a secret, whatever its value.
SECRET_NAME = re.compile(r"token|code|secret|key|otp|pass|auth|session|claim|credential|"
                         r"signature|sig\b|sid\b|cookie|bearer", re.IGNORECASE)
# Shapes of secrets wherever they appear: this server's tokens (gsa_, gsd_, gss_, gsw_ +
# base64url), enrollment codes (XXXX-XXXX-XXXX in the code alphabet, any case, any
# separator), and any long run of base64url or hex (credentials, signatures, keys).
TOKEN_SHAPES = re.compile(
    r"gs[adsw]_[A-Za-z0-9_-]{16,}"
    r"|(?<![A-Za-z0-9_])[A-HJ-NP-TV-Z2-9]{4}[-_ +.]?[A-HJ-NP-TV-Z2-9]{4}[-_ +.]?"
    r"[A-HJ-NP-TV-Z2-9]{4}(?![A-Za-z0-9])"
    r"|[A-Za-z0-9_-]{40,}", re.IGNORECASE)
LOGGERS = ("uvicorn.access", "uvicorn.error", "uvicorn")


def _query(query: str) -> str:
    parts = []
    for pair in re.split(r"([&;])", query):
        name, eq, _ = pair.partition("=")
        parts.append(f"{name}={REDACTED}" if eq and SECRET_NAME.search(name) else pair)
    return "".join(parts)


def redact(text: str) -> str:
    """`text` with secret query values and token-shaped substrings replaced by REDACTED."""
    head, mark, query = text.partition("?")
    if mark:
        # The query ends at whitespace or a quote (a request line inside a message).
        found = re.match(r"[^\s\"']*", query)
        end = found.end() if found else 0
        text = head + mark + _query(query[:end]) + query[end:]
    return TOKEN_SHAPES.sub(REDACTED, text)


class RedactSecrets(logging.Filter):
    """Rewrites a record's message and string arguments with `redact` (never drops it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact in place; always keep the record."""
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact(v) if isinstance(v, str) else v
                           for k, v in record.args.items()}
        return True


def install() -> None:
    """Put one RedactSecrets filter on each of uvicorn's loggers (idempotent)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
