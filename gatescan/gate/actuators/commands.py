"""`gatescan relay-test`: pulse the turnstile relay once to check the wiring, and the options
`gatescan run` shares with it."""

from __future__ import annotations

import click

from gatescan.gate.actuators.base import ActuatorError
from gatescan.gate.actuators.spec import RelaySettings, open_relay, open_sensor, parse_relay

RELAY_HELP = ("Turnstile/door relay, pulsed once per admission: gpio:PIN[:active-low] (BCM "
              "number), serial:PORT[:CHANNEL] (LCUS-type USB board) or cmd:COMMAND "
              "(see docs/operations.md).")


class RelayProblem(click.ClickException):
    """The relay cannot be driven: one clear line, exit status 2 (like other environment faults)."""

    exit_code = 2


def relay_settings(relay: str | None, pulse_ms: int, passed_pin: int | None,
                   passed_timeout: float) -> RelaySettings:
    """The turnstile options, checked; a bad one is a usage error (exit 2) saying what."""
    try:
        spec = parse_relay(relay) if relay is not None else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--relay") from None
    try:
        return RelaySettings(spec, pulse_ms, passed_pin, passed_timeout)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


@click.command("relay-test")
@click.option("--relay", metavar="SPEC", required=True, help=RELAY_HELP)
@click.option("--pulse-ms", type=int, default=500, show_default=True,
              help="How long the relay stays closed (50 to 10000 ms).")
@click.option("--passed-pin", type=int, metavar="PIN",
              help="Also wait for the turnstile's 'passed' contact on this BCM GPIO.")
@click.option("--passed-timeout", type=float, default=10.0, show_default=True,
              help="How long to wait for a passage (1 to 120 s).")
def relay_test(relay: str, pulse_ms: int, passed_pin: int | None,
               passed_timeout: float) -> None:
    """Pulse the relay once (no scan is recorded); with --passed-pin, wait for a passage."""
    settings = relay_settings(relay, pulse_ms, passed_pin, passed_timeout)
    assert settings.relay is not None
    try:
        device = open_relay(settings.relay)
        sensor = None if passed_pin is None else open_sensor(passed_pin)
    except ActuatorError as exc:
        raise RelayProblem(exc.message) from None
    try:
        if sensor is not None:
            sensor.arm()
        device.pulse(settings.pulse_ms)
        click.echo(f"pulsed {settings.relay.describe()} for {settings.pulse_ms} ms")
        if sensor is not None:
            passed = sensor.wait(settings.passed_timeout)
            click.echo("passage seen" if passed else
                       f"no passage within {settings.passed_timeout:g} s")
    except ActuatorError as exc:
        raise RelayProblem(exc.message) from None
    finally:
        device.close()
        if sensor is not None:
            sensor.close()
