"""The local SQLite ledger: event policy, trusted keys, tickets, revocations, scans."""
