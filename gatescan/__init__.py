"""GateScan: offline-capable gate scanning for event ticketing.

Four rooms: `protocol` (what gate and server agree on byte for byte), `gate`
(the scanner a turnstile runs), `server` (issuer, sync, console) and `demo`
(simulated phones, the demo video and set-up, screenshots). docs/architecture.md.
"""
