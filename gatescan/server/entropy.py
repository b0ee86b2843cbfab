"""Where random ids and keys come from: the OS, or a seed for reproducible demos.

A seeded source makes every key guessable from the seed: it exists so tests and
benchmarks can rebuild the same demo byte for byte, never for real events.
"""

from __future__ import annotations

import random
import secrets
from typing import Protocol

from nacl.signing import SigningKey


class Entropy(Protocol):
    """A source of random bytes and integers."""

    def token_bytes(self, n: int) -> bytes:
        """`n` random bytes."""
        ...

    def randbits(self, k: int) -> int:
        """A random non-negative integer below 2**k."""
        ...


class SystemEntropy:
    """The operating system's CSPRNG (the default everywhere)."""

    def token_bytes(self, n: int) -> bytes:
        """`n` bytes from `secrets`."""
        return secrets.token_bytes(n)

    def randbits(self, k: int) -> int:
        """`k` random bits from `secrets`."""
        return secrets.randbits(k)


class SeededEntropy:
    """A deterministic source for reproducible demos and tests: insecure by design."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def token_bytes(self, n: int) -> bytes:
        """`n` bytes derived from the seed."""
        return self._rng.randbytes(n)

    def randbits(self, k: int) -> int:
        """`k` bits derived from the seed."""
        return self._rng.getrandbits(k)


def new_signing_key(entropy: Entropy) -> SigningKey:
    """A fresh Ed25519 key from `entropy`."""
    return SigningKey(entropy.token_bytes(32))
