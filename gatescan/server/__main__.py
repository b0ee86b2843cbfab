"""`python -m gatescan.server`: the same CLI as `gatescan-server`."""

from gatescan.server.cli import main

main(prog_name="gatescan-server")
