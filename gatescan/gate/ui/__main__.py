"""`python -m gatescan.gate.ui run ...`: the gate window without the main `gatescan` CLI."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from gatescan.gate.settings import ScannerSettings
from gatescan.gate.ui.commands import run


@click.group()
@click.option("--data", type=click.Path(file_okay=False, path_type=Path),
              help="Data directory (default: $GATESCAN_DATA, else the user data directory).")
@click.option("-v", "--verbose", is_flag=True, help="Log to stderr.")
@click.pass_context
def main(ctx: click.Context, data: Path | None, verbose: bool) -> None:
    """GateScan gate window."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = ScannerSettings.build(data)


main.add_command(run)

if __name__ == "__main__":
    main()
