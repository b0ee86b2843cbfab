"""`gatescan-server serve` and `gatescan-server admin-token`."""

from __future__ import annotations

import copy
import logging
import os
import time
from pathlib import Path
from typing import Any

import click

from gatescan.server import admins, server_url
from gatescan.server.cli_common import CliError, emit
from gatescan.server.console import roles
from gatescan.server.settings import (
    DATA_ENV,
    DATABASE_ENV,
    PUBLIC_URL_ENV,
    ServerSettings,
    load_settings,
)
from gatescan.server.storage.engine import redacted
from gatescan.server.store import IssuerStore

log = logging.getLogger(__name__)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0: every interface, for gates on the LAN).")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, metavar="DIR", help="Data directory (overrides the global --data).")
@click.option("--database-url", default=None, metavar="URL",
              help="PostgreSQL (or SQLite) URL instead of DIR/issuer.db; issuer keys stay in "
                   "DIR/keys.")
@click.option("--url", "public_url", default=None, metavar="URL",
              help="The URL gates reach this server at (put in enrollment QR codes).")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Worker processes (several need a shared PostgreSQL to scale).")
@click.option("--access-log/--no-access-log", default=False, show_default=True,
              help="Log every request line (secrets in query strings are redacted).")
@click.pass_obj
def serve(settings: ServerSettings, host: str, port: int, data_dir: Path | None,
          database_url: str | None, public_url: str | None, workers: int,
          access_log: bool) -> None:
    """Run the HTTP server: organizer API, gate sync API, dashboard at /dashboard."""
    import uvicorn

    from gatescan.server.api.app import create_app

    settings = load_settings(
        data_dir if data_dir is not None else settings.data_dir,
        database_url=database_url or settings.database_url,
        public_url=public_url or settings.public_url)
    with IssuerStore.open(settings):
        pass  # create and migrate once, before any worker starts
    try:
        url = server_url.serving_url(host, port, settings.public_url)
    except server_url.BadServerUrl as exc:
        raise click.BadParameter(str(exc), param_hint="--url") from None
    if port != 0:  # port 0: the OS picks one after start-up, nothing to record yet
        server_url.record(settings, url)
    click.echo(f"GateScan server: {url}/ (dashboard {url}/dashboard, API docs {url}/docs)"
               f"\n  listening on {host}:{port}\n  data {settings.data_dir}"
               f"\n  database {redacted(settings.db_url)}", err=True)
    level = logging.getLogger("gatescan.server").getEffectiveLevel()
    log_config = uvicorn_log_config("INFO" if level <= logging.INFO else "WARNING", access_log)
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_config=log_config,
                    log_level=None, access_log=access_log, timeout_graceful_shutdown=5)
        return
    os.environ[DATA_ENV] = str(settings.data_dir)
    if settings.database_url:
        os.environ[DATABASE_ENV] = settings.database_url
    if settings.public_url:
        os.environ[PUBLIC_URL_ENV] = settings.public_url
    uvicorn.run("gatescan.server.api.app:create_app_from_env", factory=True, host=host, port=port,
                workers=workers, log_config=log_config, log_level=None, access_log=access_log,
                timeout_graceful_shutdown=5)


def uvicorn_log_config(level: str, access_log: bool) -> dict[str, Any]:
    """uvicorn's logging set-up with secrets redacted from every line (`gatescan.server.redact`).

    The access log logs at INFO whatever `level` is: asking for it means wanting it.
    """
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"redact": {"()": "gatescan.server.redact.RedactSecrets"}}
    for logger in config["loggers"].values():
        logger["filters"] = ["redact"]
    config["loggers"]["uvicorn"]["level"] = level
    config["loggers"]["uvicorn.error"]["level"] = level
    config["loggers"]["uvicorn.access"]["level"] = "INFO" if access_log else "WARNING"
    return config


@click.command("admin-token")
@click.option("--name", default="admin", show_default=True, help="A label for the token.")
@click.option("--revoke", "revoke_id", default=None, metavar="TOKEN_ID",
              help="Revoke the admin token with this id (adm_…) instead.")
@click.option("--event", "event_id", type=click.IntRange(1, 0xFFFFFFFF), default=None,
              help="Limit the token to this event [default: every event].")
@click.option("--role", type=click.Choice(["owner", "staff", "viewer"]), default="owner",
              show_default=True, help="What the token may do (docs/console.md).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def admin_token(settings: ServerSettings, name: str, revoke_id: str | None,
                event_id: int | None, role: str, as_json: bool) -> None:
    """Create an organizer (admin) token and print it once: it is stored only hashed."""
    if revoke_id is not None:
        with IssuerStore.open(settings) as store:
            if not admins.revoke_admin_token(store, revoke_id.strip(), now=time.time()):
                raise CliError(f"no live admin token {revoke_id[:40]}")
        emit(as_json, {"token_id": revoke_id, "revoked": True}, f"Revoked {revoke_id}")
        return
    label = name.strip()
    if not 0 < len(label) <= 100:
        raise CliError("--name must be 1 to 100 characters")
    with IssuerStore.open(settings) as store:
        if event_id is not None and store.event(event_id) is None:
            raise CliError(f"no event {event_id}")
        token_id, token = admins.create_admin_token(store, label, now=time.time())
        if event_id is not None or role != "owner":
            roles.grant(store, token_id, roles.Role.parse(role), event_id or roles.ALL_EVENTS)
    emit(as_json, {"token_id": token_id, "name": label, "token": token,
                    "event_id": event_id, "role": role}, token)
    if not as_json:
        click.echo(f"Admin token {token_id} ({label}): shown once, keep it safe. Use it as "
                   "'Authorization: Bearer TOKEN' or to sign in at /dashboard.", err=True)
