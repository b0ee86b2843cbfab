"""The gate mesh: gates of one event tell each other their scans, signed, peer to peer.

keys (the device's own Ed25519 key), roster (who may speak: the event's device keys
and revocations, from the server, cached), trust (signature, event, freshness,
replay), store (the ledger side: own scans out, peers' scans in through the same
path as the server's feed), node (the UDP loop: push, anti-entropy), announce (the
server round trip). See docs/mesh.md.
"""
