"""The wallet page's JavaScript: node's own test runner, and the QR encoder against segno.

`node --test tests/server_stub/wallet_js/*.test.mjs` checks the token code against the
shared vectors byte for byte, Base45, the QR tables and Reed-Solomon, and the two
languages. Here the QR encoder's symbols are also compared module for module with
segno's (same version and mask), and every symbol is read back by zxing and zbar.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import segno

from scanner.camera.decoders import make_decoder
from tests.server_stub.backends import in_ci

JS_DIR = Path(__file__).parent / "wallet_js"
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
VECTORS = Path(__file__).parents[1] / "verify" / "vectors.json"


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        reason = "node is not installed (packaging/setup.sh installs nodejs)"
        if in_ci():
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return node


def test_node_test_suite() -> None:
    """The JS unit tests pass under node's built-in runner."""
    files = sorted(str(p) for p in JS_DIR.glob("*.test.mjs"))
    assert len(files) >= 3
    run = subprocess.run([_node(), "--test", "--test-reporter=tap", *files],
                         capture_output=True, text=True, timeout=120, cwd=JS_DIR)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "# fail 0" in run.stdout


def _encode(cases: list[tuple[str, str, int | None]]) -> list[dict[str, Any]]:
    run = subprocess.run([_node(), str(JS_DIR / "qr_dump.mjs")], input=json.dumps(cases),
                         capture_output=True, text=True, timeout=120, check=True)
    result: list[dict[str, Any]] = json.loads(run.stdout)
    return result


def _segno_pads_wrongly(text: str, level: str, version: int) -> bool:
    """segno 1.6 adds a whole zero byte when the terminated data ends on a byte boundary
    short of capacity (ISO/IEC 18004 7.4.10 adds none); such symbols differ in padding."""
    count_bits = (9 if version <= 9 else 11) if all(c in ALNUM for c in text) else \
        (8 if version <= 9 else 16)
    if all(c in ALNUM for c in text):
        data = 4 + count_bits + 11 * (len(text) // 2) + 6 * (len(text) % 2)
    else:
        data = 4 + count_bits + 8 * len(text.encode("utf-8"))
    capacity = segno.consts.SYMBOL_CAPACITY[version][
        getattr(segno.consts, f"ERROR_LEVEL_{level}")]
    terminated = min(data + 4, capacity)
    return terminated % 8 == 0 and terminated < capacity


def _cases() -> list[tuple[str, str, int | None]]:
    rnd = random.Random(7)
    vectors = json.loads(VECTORS.read_text())
    cases: list[tuple[str, str, int | None]] = [(v["token_text"], "M", None) for v in vectors]
    cases += [(vectors[0]["token_text"], "M", mask) for mask in range(8)]
    for level in "LMQH":
        for n in (1, 9, 26, 47, 77, 115, 154, 197, 226, 281, 311):
            cases.append(("".join(rnd.choice(ALNUM) for _ in range(n)), level, None))
    cases += [("https://gate.example.org/wallet/#claim=gsw_" + "Ab9_-" * 8 + "xyz", "M", None),
              ("http://127.0.0.1:8080/wallet/#claim=gsw_" + "q" * 43, "L", None),
              ("票 ticket", "Q", None)]
    return cases


def _image(modules: str, size: int) -> np.ndarray:
    grid = np.frombuffer(modules.encode(), dtype=np.uint8).reshape(size, size) - ord("0")
    light = ((1 - grid) * 255).astype(np.uint8)
    return np.ascontiguousarray(np.pad(np.kron(light, np.ones((5, 5), np.uint8)), 30,
                                       constant_values=255))


def test_qr_symbols_match_segno_and_decode() -> None:
    """Same modules as segno at the same version and mask; zxing and zbar read every one."""
    cases = _cases()
    decoders = [make_decoder("zxing"), make_decoder("pyzbar")]
    compared = decoded = 0
    for (text, level, mask), got in zip(cases, _encode(cases), strict=True):
        ascii_only = all(c in ALNUM for c in text)
        try:
            ref = segno.make_qr(text, error=level.lower(), boost_error=False, mask=got.get("mask"),
                                mode="alphanumeric" if ascii_only else "byte")
        except segno.DataOverflowError:
            ref = None
        if ref is None or ref.version > 10:
            assert "error" in got, (level, len(text))
            continue
        assert "error" not in got, got
        assert got["version"] == ref.version and (mask is None or got["mask"] == mask)
        if not _segno_pads_wrongly(text, level, ref.version):
            expected = "".join("".join(str(int(b)) for b in row) for row in ref.matrix)
            assert got["modules"] == expected, (level, len(text), got["version"], got["mask"])
            compared += 1
        if text.isascii() and text:  # readers guess Shift-JIS for UTF-8 without an ECI
            image = _image(got["modules"], got["size"])
            for decoder in decoders:
                assert [c.text for c in decoder.decode(image)] == [text], (level, len(text))
            decoded += 1
    assert compared >= 40 and decoded >= 50
