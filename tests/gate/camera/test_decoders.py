"""Decoder backends on real photos, rendered token frames and hostile pixels."""

from __future__ import annotations

import functools
import io
import logging
import sys
from collections.abc import Callable

import numpy as np
import pytest
import segno
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gatescan.demo import synth
from gatescan.gate.camera.decoders import (
    DEFAULT_BACKEND,
    Decoder,
    Inversion,
    InvertingDecoder,
    MissingDecoderLib,
    PyzbarDecoder,
    ZxingDecoder,
    available_backends,
    make_decoder,
)
from gatescan.gate.camera.images import decode_image_bytes, load_image
from tests.factories import T0, Issuer
from tests.gate.camera.conftest import POSITIVE_SETS, photo_cases

# Measured on the 42 photos (zxing-cpp 3.1.1, pyzbar 0.1.9 / zbar 0.23.92): 42 and 37.
# The pins leave one photo of slack for library updates.
MIN_PHOTOS_DECODED = {"zxing": 41, "pyzbar": 36}

DECODERS: dict[str, Callable[[], Decoder]] = {"zxing": ZxingDecoder, "pyzbar": PyzbarDecoder}


@pytest.fixture(scope="module", params=sorted(DECODERS))
def decoder(request: pytest.FixtureRequest) -> Decoder:
    return DECODERS[request.param]()


def test_photo_set_success_rate(decoder: Decoder) -> None:
    cases = [c for folder in POSITIVE_SETS for c in photo_cases(folder)]
    assert len(cases) == 42
    decoded, wrong = 0, []
    for path, expected in cases:
        image = load_image(path)
        assert isinstance(image, np.ndarray), f"{path.name}: {image}"
        texts = [c.text for c in decoder.decode(image)]
        decoded += expected in texts
        wrong += [path.name for t in texts if t != expected]
    assert decoded >= MIN_PHOTOS_DECODED[decoder.name], f"{decoder.name}: {decoded}/42"
    assert not wrong, f"misread: {wrong}"


def test_false_positive_photos_report_nothing(decoder: Decoder) -> None:
    readable = 0
    for path, _ in photo_cases("falsepositives-1"):
        image = load_image(path)
        if isinstance(image, str):
            continue  # two files are not decodable images; test_images covers them
        readable += 1
        assert decoder.decode(image) == [], path.name
        color = load_image(path, color=True)
        assert isinstance(color, np.ndarray) and decoder.decode(color) == [], path.name
    assert readable >= 19


Degrade = Callable[[np.ndarray, int], np.ndarray]
DEGRADATIONS: dict[str, dict[int, Degrade]] = {
    # keyed by frame width; the levels are what a 640x480 code of ~3 px/module survives
    "blur": {640: lambda im, s: synth.blur(im, 0.9), 1280: lambda im, s: synth.blur(im, 1.6)},
    "noise": {w: (lambda im, s: synth.noise(im, 20, s)) for w in (640, 1280)},
    "tilt": {w: (lambda im, s: synth.tilt(im, 0.15, s)) for w in (640, 1280)},
    "low_contrast": {w: (lambda im, s: synth.low_contrast(im, 0.25)) for w in (640, 1280)},
    "glare": {w: (lambda im, s: synth.glare(im, 220, (0.47, 0.45), 0.1)) for w in (640, 1280)},
    "all_mild": {
        640: lambda im, s: synth.noise(synth.low_contrast(synth.blur(
            synth.tilt(synth.glare(im, 120), 0.1, s), 0.7), 0.5), 8, s),
        1280: lambda im, s: synth.noise(synth.low_contrast(synth.blur(
            synth.tilt(synth.glare(im, 120), 0.1, s), 1.2), 0.5), 8, s),
    },
}


@functools.cache
def degraded_frame(kind: str, width: int, height: int, i: int) -> tuple[str, np.ndarray]:
    """A real token (ticket 3000+i) on a phone, degraded; shared by both backends."""
    token = Issuer().issue(3000 + i).token(T0 + 30 * i)
    frame = synth.phone_frame(token, width, height, code_frac=0.45,
                              center=(0.44 + 0.04 * i, 0.5), seed=i)
    return token, DEGRADATIONS[kind][width](frame, i)


@pytest.mark.parametrize("size", [(640, 480), (1280, 720)], ids=["480p", "720p"])
@pytest.mark.parametrize("kind", sorted(DEGRADATIONS))
def test_rendered_token_frames(decoder: Decoder, kind: str, size: tuple[int, int]) -> None:
    for i in range(4):
        token, frame = degraded_frame(kind, *size, i)
        assert [c.text for c in decoder.decode(frame)] == [token], f"frame {i}"


def test_too_blurred_is_missed_not_misread(decoder: Decoder, issuer: Issuer) -> None:
    token = issuer.issue(7).token(T0)
    frame = synth.blur(synth.phone_frame(token, 640, 480, code_frac=0.35), 3.0)
    assert decoder.decode(frame) == []


def test_structured_append_does_not_crash(caplog: pytest.LogCaptureFixture) -> None:
    # zbar reports an orientation pyzbar cannot map: pyzbar raises ValueError.
    part = segno.make_sequence("GATESCAN " * 30, version=3, error="m")[0]
    buf = io.BytesIO()
    part.save(buf, kind="png", scale=4, border=4)
    image = decode_image_bytes(buf.getvalue())
    assert isinstance(image, np.ndarray)
    zbar = PyzbarDecoder()
    with caplog.at_level(logging.DEBUG, logger="gatescan.gate.camera.decoders"):
        assert zbar.decode(image) == []
        assert zbar.decode(image) == []
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "ValueError" in warnings[0].getMessage()
    assert zbar.errors.count == 2
    assert ZxingDecoder().decode(image)  # zxing-cpp reads the part


@pytest.mark.parametrize("image", [
    np.zeros((0, 0), np.uint8), np.zeros((1, 1), np.uint8), np.zeros((5, 5, 2), np.uint8),
    np.zeros((40, 40, 1), np.uint8), np.full((40, 40, 4), 255, np.uint8),
    np.full((30, 30), np.nan, np.float32), np.zeros((3, 3, 3, 3), np.uint8),
], ids=["empty", "1px", "2ch", "1ch", "bgra", "nan", "4d"])
def test_odd_arrays_give_no_codes(decoder: Decoder, image: np.ndarray) -> None:
    assert decoder.decode(image) == []


def test_non_contiguous_and_bgra_frames_decode(decoder: Decoder, issuer: Issuer) -> None:
    token = issuer.issue(11).token(T0)
    frame = synth.phone_frame(token, 640, 480, code_frac=0.5)
    view = frame[:, 100:540]  # a ROI view: not C-contiguous
    assert not view.flags.c_contiguous
    assert [c.text for c in decoder.decode(view)] == [token]
    bgra = np.dstack([frame, np.full(frame.shape[:2], 255, np.uint8)])
    assert [c.text for c in decoder.decode(bgra)] == [token]
    code = decoder.decode(frame)[0]
    assert code.format == "QRCode" and len(code.corners) == 4


@given(hnp.arrays(np.uint8, hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=48)))
def test_any_pixels_never_raise(pixels: np.ndarray) -> None:
    for make in DECODERS.values():
        assert isinstance(make().decode(pixels), list)


@given(st.binary(max_size=300))
def test_any_file_bytes_give_image_or_reason(data: bytes) -> None:
    result = decode_image_bytes(data)
    assert isinstance(result, str) or (result.dtype == np.uint8 and result.ndim == 2)


def test_factory_default_and_names() -> None:
    assert DEFAULT_BACKEND == "zxing"
    assert make_decoder().name == "zxing"
    assert make_decoder("pyzbar").name == "pyzbar"
    assert make_decoder(" ZXing-CPP ").name == "zxing"
    with pytest.raises(ValueError, match="choose one of zxing, pyzbar"):
        make_decoder("opencv")
    with pytest.raises(ValueError, match="not a valid barcode format"):
        ZxingDecoder(formats=("NotAFormat",))
    assert available_backends() == {"zxing": None, "pyzbar": None}


def test_missing_zxing_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "zxingcpp", None)  # import now raises ImportError
    with pytest.raises(MissingDecoderLib, match="pip install zxing-cpp") as info:
        make_decoder("zxing")
    assert info.value.backend == "zxing"
    assert available_backends()["zxing"] == "pip install zxing-cpp"


def test_missing_libzbar_names_the_debian_package(monkeypatch: pytest.MonkeyPatch) -> None:
    import pyzbar
    from pyzbar import zbar_library

    def no_lib() -> None:
        raise ImportError("Unable to find zbar shared library")

    # Re-run pyzbar's own import with its library loader failing as on a bare system.
    monkeypatch.setattr(zbar_library, "load", no_lib)
    for name in ("pyzbar.pyzbar", "pyzbar.wrapper"):
        monkeypatch.delitem(sys.modules, name)
        monkeypatch.delattr(pyzbar, name.split(".")[1])
    with pytest.raises(MissingDecoderLib, match="apt-get install libzbar0"):
        make_decoder("pyzbar")


def test_missing_pyzbar_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyzbar", None)
    with pytest.raises(MissingDecoderLib, match="pip install pyzbar"):
        PyzbarDecoder()


def test_thorough_mode_reads_inverted_codes(issuer: Issuer) -> None:
    token = issuer.issue(21).token(T0)
    inverted = 255 - synth.render_code(token, module_px=4, border=8)  # light on dark
    assert make_decoder(inversion=Inversion.NONE).decode(inverted) == []
    assert [c.text for c in make_decoder(thorough=True).decode(inverted)] == [token]
    assert [c.text for c in make_decoder("pyzbar", thorough=True).decode(inverted)] == [token]


@pytest.mark.parametrize("backend", ["zxing", "pyzbar"])
@pytest.mark.parametrize("dark_mode", [False, True])
def test_camera_decoder_reads_either_polarity_within_two_frames(
        issuer: Issuer, backend: str, dark_mode: bool) -> None:
    """The live-camera decoder (make_decoder's default) reads a phone in dark mode."""
    token = issuer.issue(22).token(T0)
    frame = synth.mjpeg(synth.phone_frame(token, 1280, 720, code_frac=0.5,
                                          inverted=dark_mode))
    decoder = make_decoder(backend)
    per_frame = [[c.text for c in decoder.decode(frame)] for _ in range(4)]
    assert per_frame.count([token]) == 2  # every other frame: the polarity that matches
    assert per_frame.count([]) == 2
    assert all(per_frame[i] or per_frame[i + 1] for i in range(3))  # any two frames in a row


def test_inversion_none_never_reads_dark_mode(issuer: Issuer) -> None:
    token = issuer.issue(23).token(T0)
    frame = synth.phone_frame(token, 1280, 720, code_frac=0.5, inverted=True)
    decoder = make_decoder(inversion=Inversion.NONE)
    assert [decoder.decode(frame) for _ in range(3)] == [[], [], []]
    assert isinstance(make_decoder(), InvertingDecoder)
    assert make_decoder("pyzbar").errors is not None
