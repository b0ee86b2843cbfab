"""The HTTP API: an ASGI app built by `gatescan.server.api.app.create_app` from the settings."""
