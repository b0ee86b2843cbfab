"""GateScan: the gate side of mobile ticketing (scanner, verifier, ledger, sync)."""

__version__ = "0.1.0"
