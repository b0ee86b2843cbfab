"""Admin tokens, device tokens, enrollment codes and session ids: made, hashed, compared.

Only SHA-256 hashes are stored. Tokens carry 256 random bits, so a fast hash is
enough (nothing to brute-force); lookups go by hash and the found hash is
compared again with `hmac.compare_digest`, so the answer takes the same time
whatever the guess.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

ADMIN_PREFIX = "gsa_"
DEVICE_PREFIX = "gsd_"
SESSION_PREFIX = "gss_"
# Enrollment codes are typed by hand at worst: no 0/O, 1/I/L, U.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
CODE_GROUPS = 3
CODE_GROUP_LEN = 4


def new_token(prefix: str) -> str:
    """A fresh bearer token: prefix + 43 URL-safe characters (256 bits)."""
    return prefix + secrets.token_urlsafe(32)


def new_id(prefix: str) -> str:
    """A random public identifier (not a secret): prefix + 12 hex digits."""
    return prefix + secrets.token_hex(6)


def token_hash(token: str) -> str:
    """The stored form of a token or code: SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def same_hash(stored: str, token: str) -> bool:
    """Constant-time check that `token` hashes to `stored`."""
    return hmac.compare_digest(stored.encode("ascii"), token_hash(token).encode("ascii"))


def new_enrollment_code() -> str:
    """A one-time enrollment code, e.g. `K7QX-M2PA-9RTW` (about 59 bits)."""
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUPS * CODE_GROUP_LEN))
    return "-".join(chars[i:i + CODE_GROUP_LEN] for i in range(0, len(chars), CODE_GROUP_LEN))


def normalize_code(text: str) -> str:
    """The canonical form of a typed or scanned enrollment code (case, spaces, dashes)."""
    chars = "".join(c for c in text.upper() if c.isalnum())
    return "-".join(chars[i:i + CODE_GROUP_LEN] for i in range(0, len(chars), CODE_GROUP_LEN))
