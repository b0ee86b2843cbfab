"""Command-line parameter types for values the token format defines, shared by both CLIs."""

from __future__ import annotations

from typing import Any

import click


class UnixTimeParam(click.ParamType[float]):
    """A typed `--at` time: seconds since 1970, a plausible date (see `parse_unix_time`)."""

    name = "UNIX_TIME"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> float:
        """Parse and range-check the time; a bad one is a usage error (exit 2)."""
        from gatescan.protocol.token import parse_unix_time  # the CLI stays quick to start

        if isinstance(value, float):
            return value
        try:
            return parse_unix_time(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


UNIX_TIME = UnixTimeParam()
