"""The scan pipeline end to end: videos of phones, newest-frame capture, outages, recovery."""

from __future__ import annotations

import io
import logging
import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import segno
from hypothesis import given
from hypothesis import strategies as st

from gatescan.demo import synth
from gatescan.gate.camera.debounce import debounce_key
from gatescan.gate.camera.decoders import (
    DecodedCode,
    Decoder,
    PyzbarDecoder,
    ZxingDecoder,
    make_decoder,
)
from gatescan.gate.camera.file_source import FileSource, MemorySource
from gatescan.gate.camera.frames import Image, SourceState
from gatescan.gate.camera.images import decode_image_bytes
from gatescan.gate.camera.opencv_source import OpenCVSource
from gatescan.gate.camera.pipeline import (
    Backoff,
    PipelineSettings,
    Roi,
    ScanPipeline,
    parse_roi,
    preprocess,
)
from tests.factories import T0, Issuer
from tests.gate.camera.helpers import Recorder, write_phone_video

FAST_RETRY = PipelineSettings(backoff_initial=0.05, backoff_max=0.2)


class SlowDecoder:
    """A real zxing decoder that takes `delay` seconds per frame, like a busy Pi."""

    name = "slow-zxing"

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.inner = ZxingDecoder()
        self.seen: list[int] = []

    def decode(self, image: Image) -> list[DecodedCode]:
        self.seen.append(int(image[0, 0]))  # frames are numbered in their first pixel
        time.sleep(self.delay)
        return self.inner.decode(image)


def test_phone_in_dark_mode_is_scanned_by_the_camera_decoder(tmp_path: Path,
                                                             issuer: Issuer) -> None:
    """A light-on-dark code (dark mode, colour inversion) from a video through the pipeline."""
    phone = issuer.issue(111)
    video = tmp_path / "dark.avi"
    shown = write_phone_video(video, [(None, 0.3), (phone, 1.0), (None, 0.3)], fps=10,
                              period=30, inverted=True)
    rec = Recorder()
    pipe = ScanPipeline(FileSource(video, speed=0), make_decoder(),
                        PipelineSettings(cooldown=3.0, preview_fps=0), **rec.kwargs())
    with pipe:
        assert pipe.wait_finished(timeout=20)
    assert rec.texts() == shown


def test_phone_video_gives_one_scan_per_ticket(tmp_path: Path, issuer: Issuer) -> None:
    a, b = issuer.issue(101), issuer.issue(102)
    video = tmp_path / "gate.avi"
    # A holds the phone for 4 rotation periods, B steps up right behind, then nobody.
    shown = write_phone_video(video, [(a, 3.6), (b, 1.4), (None, 0.4)], fps=10, period=1)
    assert len(shown) >= 5  # the code text changed at every period
    rec = Recorder()
    pipe = ScanPipeline(FileSource(video), ZxingDecoder(), PipelineSettings(cooldown=3.0),
                        **rec.kwargs())
    t_start = time.time()
    with pipe:
        assert pipe.wait_finished(timeout=20)
    keys = [debounce_key(t) for t in rec.texts()]
    assert keys == [debounce_key(a.token(T0)), debounce_key(b.token(T0))]
    assert rec.texts()[0] in shown and rec.texts()[1] in shown
    # B was scanned within a few frames of stepping up (3.6 s into the clip): not delayed
    b_frame_time = rec.decoded[1][1]
    assert 3.6 <= b_frame_time - t_start < 4.2
    states = rec.state_list()
    assert states[:2] == [SourceState.OPENING, SourceState.LIVE]
    assert states[-1] is SourceState.ENDED
    stats = pipe.stats()
    assert stats.captured == 54 and stats.scans == 2 and stats.codes > 40


def test_capture_keeps_only_the_newest_frame() -> None:
    frames = [np.full((120, 160), i, np.uint8) for i in range(1, 61)]
    decoder = SlowDecoder(delay=0.08)
    pipe = ScanPipeline(MemorySource(frames, fps=60), decoder,
                        PipelineSettings(preview_fps=0))
    with pipe:
        assert pipe.wait_finished(timeout=10)
    stats = pipe.stats()
    assert stats.captured == 60
    assert stats.dropped >= 30 and stats.processed + stats.dropped == 60
    assert decoder.seen == sorted(decoder.seen) and decoder.seen[-1] == 60
    # a queue would make the last frame wait ~60 x 80 ms; newest-only waits one decode at most
    assert max(stats.latency_ms) < 400


def test_preview_is_rate_capped_and_copied() -> None:
    frames = [synth.scene(160, 120, seed=i % 3) for i in range(45)]
    rec = Recorder()
    pipe = ScanPipeline(MemorySource(frames, fps=30), ZxingDecoder(),
                        PipelineSettings(preview_fps=5), **rec.kwargs())
    with pipe:
        assert pipe.wait_finished(timeout=10)
    assert 7 <= len(rec.previews) <= 8  # 1.5 s at 5 previews per second
    for image, _ in rec.previews:
        assert not any(np.shares_memory(image, f) for f in frames)


def test_hostile_code_is_logged_once_and_scanning_goes_on(
        issuer: Issuer, caplog: pytest.LogCaptureFixture) -> None:
    buf = io.BytesIO()
    segno.make_sequence("GATESCAN " * 30, version=3, error="m")[0].save(
        buf, kind="png", scale=4, border=30)
    part = decode_image_bytes(buf.getvalue())
    assert isinstance(part, np.ndarray)
    token = issuer.issue(55).token(T0)
    good = synth.phone_frame(token, 640, 480, code_frac=0.5)
    rec = Recorder()
    pipe = ScanPipeline(MemorySource([part] * 5 + [good] * 3, fps=30), PyzbarDecoder(),
                        **rec.kwargs())
    with caplog.at_level(logging.WARNING), pipe:
        assert pipe.wait_finished(timeout=10)
    assert rec.texts() == [token]
    assert sum("pyzbar decoder failed" in r.getMessage() for r in caplog.records) == 1
    assert pipe.error is None and token not in caplog.text


def test_callback_errors_do_not_stop_scanning(issuer: Issuer,
                                              caplog: pytest.LogCaptureFixture) -> None:
    tokens = [issuer.issue(70 + i).token(T0) for i in range(2)]
    frames = [synth.phone_frame(t, 640, 480, code_frac=0.5) for t in tokens for _ in range(3)]
    got: list[str] = []

    def flaky(text: str, frame_time: float) -> None:
        got.append(text)
        raise RuntimeError("listener bug")

    with ScanPipeline(MemorySource(frames, fps=20), ZxingDecoder(), on_decoded=flaky) as pipe:
        assert pipe.wait_finished(timeout=10)
    assert got == tokens
    assert caplog.text.count("decoded callback failed") == 2


def test_absent_camera_backs_off_and_stops_cleanly() -> None:
    rec = Recorder()
    source = OpenCVSource("/dev/video99")
    pipe = ScanPipeline(source, ZxingDecoder(), FAST_RETRY, **rec.kwargs())
    pipe.start()
    time.sleep(1.0)
    t0 = time.monotonic()
    assert pipe.stop(timeout=2.0)
    assert time.monotonic() - t0 < 0.5
    unavailable = [(d, t) for s, d, t in rec.states if s is SourceState.UNAVAILABLE]
    # 0.05 + 0.1 + 0.2 + 0.2 + ... : a handful of attempts in a second, never a spin
    assert 3 <= len(unavailable) <= 8
    assert "does not exist (unplugged?); retrying in 0.1 s" in unavailable[1][0]
    assert rec.state_list()[-1] is SourceState.STOPPED
    assert SourceState.LIVE not in rec.state_list()


def test_camera_recovers_when_it_comes_back(tmp_path: Path, issuer: Issuer) -> None:
    cam = tmp_path / "usb-camera.avi"  # a video file stands in for the device node
    staged = tmp_path / "staged.avi"
    a = issuer.issue(200)
    write_phone_video(staged, [(a, 0.6)], fps=10)
    rec = Recorder()
    pipe = ScanPipeline(OpenCVSource(str(cam)), ZxingDecoder(), FAST_RETRY, **rec.kwargs())
    with pipe:
        assert rec.wait_for(lambda: rec.state_list().count(SourceState.UNAVAILABLE) >= 2, 3)
        assert not rec.texts()
        os.replace(staged, cam)  # "plugged in"
        assert rec.wait_for(lambda: len(rec.decoded) >= 1, 5)
        # the clip ends (frames stop): reported lost, reopened, back live
        assert rec.wait_for(lambda: rec.state_list().count(SourceState.LIVE) >= 2, 5)
    states = rec.state_list()
    first_live = states.index(SourceState.LIVE)
    assert SourceState.UNAVAILABLE in states[first_live:]
    assert [debounce_key(t) for t in rec.texts()] == [debounce_key(a.token(T0))]


def test_stop_interrupts_a_slow_file_source() -> None:
    pipe = ScanPipeline(MemorySource([np.zeros((8, 8), np.uint8)] * 3, fps=0.1),
                        ZxingDecoder())
    pipe.start()
    time.sleep(0.2)
    t0 = time.monotonic()
    assert pipe.stop(timeout=2.0)
    assert time.monotonic() - t0 < 0.5
    with pytest.raises(RuntimeError, match="already started"):
        pipe.start()


def test_roi_and_downscale(issuer: Issuer) -> None:
    token = issuer.issue(300).token(T0)
    frame = synth.phone_frame(token, 1280, 720, code_frac=0.45, center=(0.75, 0.5))
    decoder: Decoder = ZxingDecoder()
    assert decoder.decode(preprocess(frame, Roi(0, 0, 0.5, 1), None)) == []
    right = preprocess(frame, Roi(0.5, 0, 0.5, 1), None)
    assert right.shape == (720, 640) and [c.text for c in decoder.decode(right)] == [token]
    small = preprocess(frame, None, 800)
    assert small.shape == (450, 800) and small.flags.c_contiguous
    assert [c.text for c in decoder.decode(small)] == [token]
    rec = Recorder()
    settings = PipelineSettings(roi=parse_roi("0.5, 0, 0.5, 1"), max_width=480)
    with ScanPipeline(MemorySource([frame] * 2, fps=20), decoder, settings,
                      **rec.kwargs()) as pipe:
        assert pipe.wait_finished(timeout=10)
    assert rec.texts() == [token]


@pytest.mark.parametrize("text", ["", "1,2,3", "a,b,c,d", "0,0,0,1", "0.5,0,0.6,1",
                                  "-0.1,0,0.5,0.5", "nan,0,1,1", "0,0,inf,1"])
def test_bad_roi_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_roi(text)


@given(st.text(max_size=40))
def test_any_roi_text_parses_or_is_refused(text: str) -> None:
    try:
        roi = parse_roi(text)
    except ValueError:
        return
    assert 0 <= roi.x < 1 and 0 <= roi.y < 1


@given(st.floats(0, 0.999), st.floats(0, 0.999), st.floats(0.001, 1), st.floats(0.001, 1),
       st.integers(1, 50), st.integers(1, 50))
def test_any_valid_roi_crops_at_least_a_pixel(x: float, y: float, w: float, h: float,
                                              width: int, height: int) -> None:
    try:
        roi = Roi(x, y, min(w, 1 - x), min(h, 1 - y))
    except ValueError:
        return
    crop = roi.crop(np.zeros((height, width), np.uint8))
    assert crop.shape[0] >= 1 and crop.shape[1] >= 1


def test_backoff_doubles_to_a_cap_and_resets() -> None:
    backoff = Backoff(0.5, 4.0)
    assert [backoff.next_delay() for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    backoff.reset()
    assert backoff.next_delay() == 0.5


def test_no_thread_outlives_stop() -> None:
    pipe = ScanPipeline(MemorySource([np.zeros((8, 8), np.uint8)], fps=30, loop=True),
                        ZxingDecoder())
    with pipe:
        time.sleep(0.1)
    assert not [t for t in threading.enumerate() if t.name.startswith("gatescan-")]
