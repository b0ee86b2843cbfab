"""The mesh's writes to the ledger: a peer's scan that arrives twice (a resent datagram,
anti-entropy after a push) reveals its conflict once."""

from __future__ import annotations

from pathlib import Path

from gatescan.gate.ledger import reports
from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.mesh.store import Incoming, MeshStore, SenderProgress
from gatescan.gate.verify.view import GateContext
from gatescan.protocol.mesh import PeerScan
from gatescan.protocol.token import format_ticket_id
from gatescan.protocol.verdict import Outcome
from tests.factories import T0, Issuer


def test_a_resent_peer_admission_flags_its_conflict_once(tmp_path: Path) -> None:
    issuer = Issuer()
    manifest = issuer.write_manifest(tmp_path / "event.manifest", [(0x1001, 1, 0, None)])
    with Ledger(tmp_path / "ledger.db") as ledger:
        ledger.import_manifest(manifest)
        here = GateContext("Gate 1", "entry", "dev_000000000001")
        code = issuer.issue(0x1001).token(T0)
        assert ledger.redeem(code, T0, here, source="camera").verdict.outcome is \
            Outcome.ADMITTED
        event_id = ledger.loaded_event_id()
        assert event_id is not None
        store = MeshStore(ledger)
        peer = PeerScan("0123456789abcdef0123456789abcdef", format_ticket_id(0x1001), 0,
                        "Gate 2", "entry", "admitted", T0 + 0.4, 1, 0)
        for _ in range(2):  # the same datagram twice
            store.apply(event_id, [Incoming("dev_000000000002", "k2", peer,
                                            SenderProgress(), 1)])
        assert store.conflicts == 1
        assert len(reports.gate_report(ledger, T0 + 60).conflicts) == 1
