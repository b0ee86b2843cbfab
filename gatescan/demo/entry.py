"""`gatescan-demo`'s console script: a missing extra is one sentence (protocol.extras)."""

from __future__ import annotations

from gatescan.protocol.extras import explain


def main() -> None:
    """Run `gatescan-demo`."""
    try:
        from gatescan.demo.cli import main as cli
    except ModuleNotFoundError as exc:
        explain(exc, "gatescan-demo")
        return
    cli()
