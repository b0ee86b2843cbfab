"""`gatescan decode IMAGE...`: one JSON line per image, errors as data, clear backend errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import pytest
from click.testing import CliRunner

from gatescan.demo import synth
from gatescan.gate.camera.commands import decode
from gatescan.protocol.token import format_ticket_id
from tests.factories import T0, Issuer
from tests.gate.camera.conftest import SAMPLES, photo_cases


def run(*args: str) -> tuple[int, list[dict[str, object]]]:
    result = CliRunner().invoke(decode, list(args))
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result.exit_code, lines


@pytest.mark.parametrize("backend", ["zxing", "pyzbar"])
def test_prints_one_line_per_image(tmp_path: Path, issuer: Issuer, backend: str) -> None:
    token = issuer.issue(0xBEEF).token(T0)
    ticket = tmp_path / "ticket.png"
    cv2.imwrite(str(ticket), synth.phone_frame(token, 640, 480, code_frac=0.5))
    photo, expected = photo_cases("qrcode-1")[0]
    empty = SAMPLES / "falsepositives-1" / "01.webp"
    code, lines = run(str(ticket), str(photo), str(empty), "--backend", backend)
    assert code == 0
    assert [line["path"] for line in lines] == [str(ticket), str(photo), str(empty)]
    assert lines[0]["codes"] == [{"text": token, "format": "QRCode",
                                  "ticket": format_ticket_id(0xBEEF)}]
    assert lines[1]["codes"] == [{"text": expected, "format": "QRCode"}]
    assert lines[2]["codes"] == []
    assert all(isinstance(line["ms"], float) for line in lines)


def test_unreadable_files_get_an_error_key(tmp_path: Path) -> None:
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"\xff\xd8 not really")
    tiny = SAMPLES / "falsepositives-1" / "1x1.webp"
    code, lines = run(str(junk), str(tmp_path / "missing.png"), str(tmp_path), str(tiny))
    assert code == 1
    assert [line.get("error") for line in lines] == [
        "not a readable image", "no such file", "is a directory", "not a readable image"]
    assert all("codes" not in line for line in lines)


def test_unknown_backend_and_missing_library(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    result = CliRunner().invoke(decode, ["x.png", "--backend", "opencv"])
    assert result.exit_code == 2 and "zxing" in result.output
    monkeypatch.setitem(sys.modules, "zxingcpp", None)
    result = CliRunner().invoke(decode, [str(tmp_path / "x.png")])
    assert result.exit_code == 1
    assert "pip install zxing-cpp" in result.output and "Traceback" not in result.output


def test_requires_an_image() -> None:
    assert CliRunner().invoke(decode, []).exit_code == 2
