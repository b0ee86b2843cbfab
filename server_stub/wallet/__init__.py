"""Attendee wallets: the simulated demo phones and the real phone page.

`simulated` keeps the demo attendees' phones (holder seeds in `wallet.db`,
never in the issuer database). `links`, `routes`, `assets` and `cli` serve the
wallet web page a real phone opens: it makes its own Ed25519 key, claims a
ticket with a one-time link, and shows the rotating code (docs/wallet.md).
"""

from __future__ import annotations

from server_stub.wallet.simulated import CURRENT, SUPERSEDED, Wallet, WalletEntry

__all__ = ["CURRENT", "SUPERSEDED", "Wallet", "WalletEntry"]
