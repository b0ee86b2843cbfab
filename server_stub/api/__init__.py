"""The HTTP API: an ASGI app built by `server_stub.api.app.create_app` from the settings."""
