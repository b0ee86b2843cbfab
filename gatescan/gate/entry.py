"""`gatescan`'s console script: a missing extra is one sentence (protocol.extras)."""

from __future__ import annotations

from gatescan.protocol.extras import explain


def main() -> None:
    """Run `gatescan`."""
    try:
        from gatescan.gate.cli import main as cli
    except ModuleNotFoundError as exc:
        explain(exc, "gatescan")
        return
    cli()
