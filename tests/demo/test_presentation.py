"""The presentation model behind bench/presentation.py: geometry, blur, noise, repeatability."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gatescan.demo.presentation import (
    Camera,
    Renderer,
    decode_jpeg,
    disc_kernel,
    line_kernel,
    random_presentation,
)
from gatescan.gate.camera.decoders import InvertingDecoder, ZxingDecoder, make_decoder
from tests.factories import T0, Issuer


@pytest.fixture(scope="module")
def token() -> str:
    return Issuer().issue(41).token(T0)


def test_same_seed_renders_the_same_frames(token: str) -> None:
    def frames(seed: int) -> list[bytes]:
        renderer = Renderer(Camera(), seed=seed)
        p = random_presentation(token, 380.0, np.random.default_rng(seed))
        return [renderer.frame_jpeg(p, t) for t in (0.0, 0.4, 1.5)]

    assert frames(3) == frames(3)
    assert frames(3) != frames(4)


def test_phone_starts_outside_the_view_and_reads_once_at_rest(token: str) -> None:
    renderer = Renderer(Camera(), seed=1)
    p = random_presentation(token, 380.0, np.random.default_rng(1))
    assert not renderer.in_view(p, 0.0)
    rest = p.start_s + p.travel_s + 0.3
    assert renderer.in_view(p, rest)
    decoder = make_decoder()
    image = renderer.frame(p, rest)
    texts = {c.text for c in decoder.decode(image)} | {c.text for c in decoder.decode(image)}
    assert texts == {token}  # one of two calls is the inverted pass
    assert image.shape == (720, 1280, 3)


def test_motion_blur_scales_with_exposure(token: str) -> None:
    p = random_presentation(token, 380.0, np.random.default_rng(2))
    moving = p.start_s + 0.1
    long = Renderer(Camera(exposure_s=1 / 60))._motion_px(p, moving)
    short = Renderer(Camera(exposure_s=1 / 500))._motion_px(p, moving)
    assert math.hypot(*long) > 20  # a phone sliding in at 1/60 s smears by many pixels
    assert math.hypot(*long) / math.hypot(*short) == pytest.approx(500 / 60, rel=0.1)


def test_defocus_is_zero_at_the_focus_distance_and_grows_away_from_it() -> None:
    cam = Camera(focus_mm=450.0)
    assert cam.defocus_px(450.0) == pytest.approx(0.0)
    assert cam.defocus_px(250.0) > cam.defocus_px(350.0) > 0
    assert cam.defocus_px(1500.0) > cam.defocus_px(700.0) > 0


def test_kernels_are_normalised_and_as_long_as_asked() -> None:
    assert line_kernel(0.5, 0.2) is None and disc_kernel(0.8) is None
    k = line_kernel(12.0, 0.0)
    assert k is not None and k.sum() == pytest.approx(1.0)
    cols = np.nonzero(k.sum(axis=0) > 1e-6)[0]
    assert 12 <= cols[-1] - cols[0] + 1 <= 14  # spans the 12 px moved
    d = disc_kernel(5.0)
    assert d is not None and d.sum() == pytest.approx(1.0) and d.shape == (5, 5)


def test_more_gain_means_more_noise(token: str) -> None:
    def temporal_noise(cam: Camera) -> float:
        """Pixel noise between two frames of the same still scene (no phone yet)."""
        renderer = Renderer(cam, seed=5)
        p = random_presentation(token, 380.0, np.random.default_rng(5))
        a, b = (decode_jpeg(renderer.frame_jpeg(p, t))[:, :, 0].astype(np.float32)
                for t in (0.0, 1 / 30))
        return float(np.std(a - b) / math.sqrt(2))

    assert temporal_noise(Camera(exposure_s=1 / 500, gain=4.0)) > 1.3 * temporal_noise(Camera())


def test_a_located_but_unreadable_code_is_read_again_enlarged(token: str) -> None:
    """At 53 cm a v10 code has about 1.3 px per module: zxing-cpp finds it, cannot read it."""
    renderer = Renderer(Camera(), seed=1)
    p = random_presentation(token, 530.0, np.random.default_rng(1))
    frames = [renderer.frame(p, k / 30) for k in range(20, 40)]
    plain, retrying = ZxingDecoder(), ZxingDecoder(retry_regions=True)
    read_plain = [bool(plain.decode(f)) for f in frames]
    read_retry = [[c.text for c in retrying.decode(f)] for f in frames]
    assert not read_plain[2]  # frame 22: the phone has just stopped
    assert read_retry[2] == [token]
    assert sum(map(bool, read_retry)) > sum(read_plain) + 4
    assert all(r for r, p in zip(read_retry, read_plain, strict=True) if p)  # never worse
    corners = retrying.decode(frames[2])[0].corners  # mapped back to frame pixels
    assert all(0 <= x < 1280 and 0 <= y < 720 for x, y in corners)


def test_the_live_decoder_retries_regions_and_empty_frames_stay_empty() -> None:
    decoder = make_decoder()
    assert isinstance(decoder, InvertingDecoder)
    assert isinstance(decoder.inner, ZxingDecoder) and decoder.inner._retry_regions
    for seed in range(4):
        assert decoder.decode(Renderer(Camera(), seed=seed).frame(
            random_presentation("GS1:X", 380.0, np.random.default_rng(seed)), 0.0)) == []
