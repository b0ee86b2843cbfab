"""The attendee wallet page a real phone opens.

`links`, `routes`, `assets` and `cli` serve it: the phone makes its own
Ed25519 key, claims a ticket with a one-time link, and shows the rotating code
(docs/wallet.md). The demo's simulated phones are in `gatescan.demo.phones`.
"""
