"""`gatescan`: the scanner's command line (import a manifest, check a code, status).

Exit status: 0 when a check admits, 1 when it refuses, 2 for usage or
environment errors (no manifest yet, unreadable file, disk full, ...).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import click

from scanner.settings import ScannerSettings

log = logging.getLogger(__name__)

EXIT_REFUSED = 1
EXIT_ERROR = 2


class EnvironmentProblem(click.ClickException):
    """A known environment failure, shown as one clear line with exit status 2."""

    exit_code = EXIT_ERROR


class LazyGroup(click.Group):
    """A command group whose heavier commands (camera, UI) import only when used."""

    lazy: ClassVar[dict[str, str]] = {
        "decode": "scanner.camera.commands:decode",
        "run": "scanner.ui.commands:run",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._available()})

    def _available(self) -> list[str]:
        import importlib.util

        return [name for name, target in self.lazy.items()
                if importlib.util.find_spec(target.split(":")[0]) is not None]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None or cmd_name not in self._available():
            return command
        import importlib

        module, attr = self.lazy[cmd_name].split(":")
        loaded = getattr(importlib.import_module(module), attr)
        assert isinstance(loaded, click.Command)
        return loaded


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data", "data", type=click.Path(file_okay=False, path_type=Path),
              help="Data directory (default: $GATESCAN_DATA, else the user data directory).")
@click.option("-v", "--verbose", is_flag=True, help="Log to stderr.")
@click.version_option(package_name="gatescan")
@click.pass_context
def main(ctx: click.Context, data: Path | None, verbose: bool) -> None:
    """GateScan gate scanner: verify rotating ticket codes offline."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = ScannerSettings.build(data)


def _open_ledger(settings: ScannerSettings, *, must_exist: bool = True) -> Any:
    from scanner.ledger.errors import LedgerError
    from scanner.ledger.ledger import Ledger

    if must_exist and not settings.ledger_path.exists():
        raise EnvironmentProblem(
            f"no event loaded in {settings.data_dir}: run `gatescan import-manifest FILE` first")
    try:
        settings.ensure_dir()
        return Ledger(settings.ledger_path)
    except LedgerError as exc:
        raise EnvironmentProblem(exc.message) from None


@main.command("import-manifest")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--expect-key", metavar="KEY",
              help="Refuse the manifest unless signed by this key (key id or public key, hex).")
@click.option("--replace", is_flag=True, help="Replace a different event already loaded.")
@click.pass_obj
def import_manifest(settings: ScannerSettings, file: Path, expect_key: str | None,
                    replace: bool) -> None:
    """Load or update the event manifest from FILE (e.g. from a USB stick)."""
    from scanner.ledger.errors import LedgerError
    from scanner.ledger.manifest import ManifestError

    try:
        source = file.open("rb")
    except OSError as exc:
        raise EnvironmentProblem(f"cannot read {file}: {exc.strerror}") from None
    ledger = _open_ledger(settings, must_exist=False)
    try:
        with source:
            result = ledger.import_manifest(source, expect_key=expect_key, progress=True,
                                            replace=replace)
    except ManifestError as exc:
        raise EnvironmentProblem(f"manifest refused ({exc.code}): {exc.message}; "
                                 "the ledger is unchanged") from None
    except LedgerError as exc:
        raise EnvironmentProblem(exc.message) from None
    finally:
        ledger.close()
    click.echo(f"Imported {result.event.name} (manifest #{result.sequence}): "
               f"{result.tickets:,} tickets, "
               f"{result.revocations:,} revocations in {result.seconds:.1f} s")


@main.command()
@click.argument("text")
@click.option("--at", "at", type=float, metavar="UNIX_TIME",
              help="Check as if the time were this (default: now).")
@click.option("--gate", metavar="NAME", help="Gate name (default: the event's first gate).")
@click.option("--direction", type=click.Choice(["entry", "exit"]), default="entry",
              show_default=True)
@click.option("--dry-run", is_flag=True, help="Verify only; record nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def check(settings: ScannerSettings, text: str, at: float | None, gate: str | None,
          direction: str, dry_run: bool, as_json: bool) -> None:
    """Verify the ticket code TEXT ('-' reads it from stdin) and record the scan."""
    from scanner.ledger.errors import LedgerError
    from scanner.verify.view import GateContext

    if text == "-":
        text = sys.stdin.readline()
    ledger = _open_ledger(settings)
    try:
        gate_name = gate or _default_gate(ledger)
        if gate_name is None:
            raise EnvironmentProblem("no event loaded: run `gatescan import-manifest FILE` first")
        context = GateContext(gate_name, direction,  # type: ignore[arg-type]
                              settings.device_id())
        now = time.time() if at is None else at
        result = ledger.redeem(text, now, context, source="cli", dry_run=dry_run)
    except LedgerError as exc:
        raise EnvironmentProblem(f"scan NOT recorded: {exc.message}") from None
    finally:
        ledger.close()
    verdict = result.verdict
    if as_json:
        out = verdict.to_dict()
        out["scan_id"] = result.scan_id
        out["gate"] = gate_name
        out["direction"] = direction
        out["recorded"] = result.scan_id is not None
        click.echo(json.dumps(out))
    else:
        _print_verdict(verdict, gate_name, dry_run)
    sys.exit(0 if verdict.admit else EXIT_REFUSED)


def _default_gate(ledger: Any) -> str | None:
    """The loaded event's first gate (or a generic name if the event lists none)."""
    event = ledger.status()["event"]
    if event is None:
        return None
    policy = ledger.event(event["event_id"])
    return policy.gates[0].name if policy is not None and policy.gates else "Gate"


_TIME_KEYS = {"last_import", "manifest_generated_at", "last_sync", "last_pull"}

_BANNER = {"admit": ("ADMIT", "green"), "refuse": ("REFUSED", "red"), "check": ("CHECK", "yellow")}


def _print_verdict(verdict: Any, gate: str, dry_run: bool) -> None:
    word, colour = _BANNER[verdict.level.value]
    click.secho(f" {word} ", fg="black", bg=colour, bold=True, nl=False)
    click.echo(f"  {verdict.reason}")
    t = verdict.ticket
    if t is not None:
        facts = [f"ticket {t.ticket_id:016x}"]
        if t.type_name:
            facts.append(t.type_name)
        if t.seat:
            facts.append(f"seat {t.seat}")
        if not t.listed:
            facts.append("not on this gate's list")
        click.echo("         " + " · ".join(facts))
    click.echo(f"         {gate} · {verdict.outcome.value}" + (" · dry run, not recorded"
                                                               if dry_run else ""))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def status(settings: ScannerSettings, as_json: bool) -> None:
    """Show the loaded event, ticket count, scans and last import."""
    if not settings.ledger_path.exists():
        info: dict[str, Any] = {"event": None, "data_dir": str(settings.data_dir)}
    else:
        ledger = _open_ledger(settings)
        try:
            info = ledger.status()
        finally:
            ledger.close()
        info["data_dir"] = str(settings.data_dir)
    if as_json:
        click.echo(json.dumps(info, default=str))
        return
    for key, value in info.items():
        if key in _TIME_KEYS and isinstance(value, int | float):
            value = datetime.fromtimestamp(value).astimezone().isoformat(" ", "seconds")
        if isinstance(value, dict):
            value = ", ".join(f"{k}: {v}" for k, v in value.items()) or "-"
        click.echo(f"{key.replace('_', ' '):>20}: {value}")
