"""The wallet page's JavaScript: node's own test runner, and the QR codes against segno.

`node --test tests/server/wallet_js/*.test.mjs` checks the token code against the
shared vectors byte for byte, Base45, the QR module's mode and version choice and its SVG,
and the two languages. Here the page's QR symbols (the vendored qrcode-generator) are
compared module for module with segno's at the same version, level and mask, and every
symbol is read back by zxing and zbar. qrcode-generator scores masks its own way (not
ISO/IEC 18004's N1..N4 exactly, as segno does) and cannot be told a mask, so the mask is
read from the symbol's own format information and segno is asked for that one.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import segno

from gatescan.gate.camera.decoders import Inversion, make_decoder
from tests.server.backends import in_ci

JS_DIR = Path(__file__).parent / "wallet_js"
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
VECTORS = Path(__file__).parents[1] / "protocol" / "vectors.json"
VENDOR = Path(__file__).parents[2] / "gatescan" / "server" / "wallet" / "static" / "vendor"
FORMAT_LEVELS = {1: "L", 0: "M", 3: "Q", 2: "H"}  # ISO/IEC 18004 table 12


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


def test_vendored_files_unchanged() -> None:
    """The vendored library is byte for byte the package's files its README names."""
    readme = (VENDOR / "qrcode-generator" / "README.md").read_text()
    listed = re.findall(r"`([\w.]+\.mjs)`\s+sha256 `([0-9a-f]{64})`", readme)
    shipped = sorted(p.name for p in (VENDOR / "qrcode-generator").glob("*.mjs"))
    assert sorted(name for name, _ in listed) == shipped == ["qrcode.mjs", "qrcode_UTF8.mjs"]
    for name, digest in listed:
        assert hashlib.sha256((VENDOR / "qrcode-generator" / name).read_bytes()).hexdigest() \
            == digest, name
    assert "MIT" in (VENDOR / "qrcode-generator" / "LICENSE").read_text()


def _format_info(modules: str, size: int) -> tuple[str, int]:
    """The level and mask in a symbol's format information; both copies must agree."""
    def bit(x: int, y: int) -> int:
        return int(modules[y * size + x])
    first = [(8, i) for i in range(6)] + [(8, 7), (8, 8), (7, 8)] + \
        [(14 - i, 8) for i in range(9, 15)]
    second = [(size - 1 - i, 8) for i in range(8)] + [(8, size - 15 + i) for i in range(8, 15)]
    words = [sum(bit(x, y) << i for i, (x, y) in enumerate(spots)) ^ 0x5412
             for spots in (first, second)]
    assert words[0] == words[1], "the two format copies differ"
    data = words[0] >> 10
    remainder = data
    for _ in range(10):
        remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537)
    assert (data << 10 | remainder) == words[0], "format information fails its BCH check"
    return FORMAT_LEVELS[data >> 3], data & 7


def _encode(cases: list[tuple[str, str]]) -> list[dict[str, Any]]:
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
    table: dict[int, dict[int, int]] = segno.consts.SYMBOL_CAPACITY  # type: ignore[assignment]
    capacity = table[version][getattr(segno.consts, f"ERROR_LEVEL_{level}")]
    terminated = min(data + 4, capacity)
    return bool(terminated % 8 == 0 and terminated < capacity)


def _cases() -> list[tuple[str, str]]:
    rnd = random.Random(7)
    vectors = json.loads(VECTORS.read_text())
    cases: list[tuple[str, str]] = [(v["token_text"], "M") for v in vectors]
    for level in "LMQH":
        for n in (1, 9, 26, 47, 77, 115, 154, 197, 226, 281, 311):
            cases.append(("".join(rnd.choice(ALNUM) for _ in range(n)), level))
        for n in (5, 40, 100, 180):  # links: byte mode (read back; segno pads these wrongly)
            cases.append(("".join(rnd.choice("abcdefghijklmnopqrstuvwxyz/#_-") for _ in range(n)),
                          level))
    cases += [("https://gate.example.org/wallet/#claim=gsw_" + "Ab9_-" * 8 + "xyz", "M"),
              ("http://127.0.0.1:8080/wallet/#claim=gsw_" + "q" * 43, "L"),
              ("票 ticket", "Q")]
    return cases


def _image(modules: str, size: int) -> np.ndarray:
    grid = np.frombuffer(modules.encode(), dtype=np.uint8).reshape(size, size) - ord("0")
    light = ((1 - grid) * 255).astype(np.uint8)
    return np.ascontiguousarray(np.pad(np.kron(light, np.ones((5, 5), np.uint8)), 30,
                                       constant_values=255))


def test_qr_symbols_match_segno_and_decode() -> None:
    """segno's minimal version and level; the same modules as segno at the symbol's own
    mask; zxing and zbar read every one."""
    cases = _cases()
    decoders = [make_decoder(name, inversion=Inversion.NONE) for name in ("zxing", "pyzbar")]
    compared = decoded = 0
    masks = set()
    for (text, level), got in zip(cases, _encode(cases), strict=True):
        ascii_only = all(c in ALNUM for c in text)
        mode = "alphanumeric" if ascii_only else "byte"
        try:
            minimal = segno.make_qr(text, error=level.lower(), boost_error=False, mode=mode)
        except segno.DataOverflowError:
            minimal = None
        if minimal is None or int(minimal.version) > 10:
            assert "error" in got, (level, len(text))
            continue
        assert "error" not in got, got
        assert got["version"] == minimal.version
        assert got["size"] == minimal.symbol_size(border=0)[0]
        read_level, mask = _format_info(got["modules"], got["size"])
        assert read_level == level
        masks.add(mask)
        ref = segno.make_qr(text, error=level.lower(), boost_error=False, mode=mode,
                            version=got["version"], mask=mask)
        if not _segno_pads_wrongly(text, level, got["version"]):
            expected = "".join("".join(str(int(b)) for b in row) for row in ref.matrix)
            assert got["modules"] == expected, (level, len(text), got["version"], mask)
            compared += 1
        if text.isascii() and text:  # readers guess Shift-JIS for UTF-8 without an ECI
            image = _image(got["modules"], got["size"])
            for decoder in decoders:
                assert [c.text for c in decoder.decode(image)] == [text], (level, len(text))
            decoded += 1
    assert compared >= 34 and decoded >= 55 and len(masks) >= 6, (compared, decoded, masks)
