"""`python -m server_stub`: the same CLI as `gatescan-server`."""

from server_stub.cli import main

main(prog_name="gatescan-server")
