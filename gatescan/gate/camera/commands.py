"""`gatescan decode IMAGE...`: print the codes each image holds, one JSON line per image."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
import cv2
import numpy as np

from gatescan.gate.camera.decoders import (
    BACKENDS,
    DEFAULT_BACKEND,
    Decoder,
    MissingDecoderLib,
    make_decoder,
)
from gatescan.gate.camera.images import load_image
from gatescan.protocol.token import TokenError, format_ticket_id, parse_token


def _ticket(text: str) -> str | None:
    try:
        return format_ticket_id(parse_token(text).credential.ticket_id)
    except TokenError:
        return None


@click.command("decode")
@click.argument("images", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--backend", type=click.Choice(BACKENDS), default=DEFAULT_BACKEND,
              show_default=True, help="Decoder library to use.")
def decode(images: tuple[Path, ...], backend: str) -> None:
    """Print what codes each IMAGE holds, one JSON line per image.

    Lines look like {"path": ..., "codes": [{"text": ..., "format": ...}], "ms": ...};
    a GateScan token also gets its "ticket" id. An unreadable file gives
    {"path": ..., "error": ...} and makes the exit status 1.
    """
    try:
        decoder = make_decoder(backend, thorough=True)
    except MissingDecoderLib as exc:
        raise click.ClickException(str(exc)) from None
    # Unreadable files are reported in the JSON; OpenCV's own C++ log lines would be noise.
    previous = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        failed = _print_all(images, decoder)
    finally:
        cv2.utils.logging.setLogLevel(previous)
    if failed:
        raise SystemExit(1)


def _print_all(images: tuple[Path, ...], decoder: Decoder) -> bool:
    """Print one JSON line per image; True if any file could not be read."""
    failed = False
    for path in images:
        record: dict[str, object] = {"path": str(path)}
        image = load_image(path)
        if isinstance(image, np.ndarray):
            t0 = time.perf_counter()
            codes = decoder.decode(image)
            record["codes"] = [_code_record(c.text, c.format) for c in codes]
            record["ms"] = round((time.perf_counter() - t0) * 1000.0, 2)
        else:
            record["error"] = image
            failed = True
        click.echo(json.dumps(record, ensure_ascii=False))
    return failed


def _code_record(text: str, fmt: str) -> dict[str, str]:
    record = {"text": text, "format": fmt}
    ticket = _ticket(text)
    if ticket is not None:
        record["ticket"] = ticket
    return record
