"""The camera on its own thread: wraps `ScanPipeline` and turns its callbacks into signals.

The pipeline's capture and decode threads call back here; the callbacks only
convert (a preview frame to a small QImage copy) and emit, so the UI thread
gets ready-to-paint images and decoded texts and never waits on the camera.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import cv2
from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtGui import QImage

from gatescan.gate.camera.decoders import Decoder, MissingDecoderLib
from gatescan.gate.camera.frames import FrameSource, Image, SourceState, as_image
from gatescan.gate.camera.health import CameraHealth
from gatescan.gate.camera.pipeline import PipelineSettings, ScanPipeline

log = logging.getLogger(__name__)

SourceFactory = Callable[[str], FrameSource]
DecoderFactory = Callable[[], Decoder]
PREVIEW_WIDTH = 800  # about the preview's size on a 1280x800 screen


def to_qimage(image: Image, max_width: int = PREVIEW_WIDTH, max_height: int = 0) -> QImage:
    """A QImage (own pixels) of a BGR or grayscale frame, shrunk to fit the preview box.

    Scaling and converting to 32-bit here, on the camera thread, leave the UI thread
    a 1:1 copy in the window's own pixel format to paint: no per-paint conversion
    ahead of a verdict.
    """
    scale = max_width / image.shape[1]
    if max_height > 0:
        scale = min(scale, max_height / image.shape[0])
    if scale < 1.0:
        size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
        image = as_image(cv2.resize(image, size, interpolation=cv2.INTER_AREA))
    code = cv2.COLOR_GRAY2BGRA if image.ndim == 2 else cv2.COLOR_BGR2BGRA
    pixels = as_image(cv2.cvtColor(image, code))  # B, G, R, 255: little-endian 0xffRRGGBB
    height, width = pixels.shape[:2]
    qimage = QImage(pixels.data, width, height, int(pixels.strides[0]),
                    QImage.Format.Format_RGB32)
    return qimage.copy()  # the QImage must own its pixels: `pixels` dies with this call


class CameraWorker(QObject):
    """Runs one frame source at a time through the decoder; reports frames, codes, state."""

    frame_ready = Signal(QImage)
    code_decoded = Signal(str, float)  # text, time.perf_counter() when decoded
    state_changed = Signal(str, str)  # SourceState value, detail for the operator
    camera_health_changed = Signal(str, str)  # CameraHealth value, detail for the log
    fps_measured = Signal(float)

    def __init__(self, source_factory: SourceFactory, decoder_factory: DecoderFactory,
                 settings: PipelineSettings | None = None, *,
                 preview_width: int = PREVIEW_WIDTH) -> None:
        super().__init__()
        self._source_factory = source_factory
        self._decoder_factory = decoder_factory
        self._settings = settings or PipelineSettings(preview_fps=30.0)
        self._preview_width = preview_width
        self._preview_height = 0
        self._pipeline: ScanPipeline | None = None
        self._decoder: Decoder | None = None
        self._timer: QTimer | None = None
        self._last_count = 0
        self._last_time = 0.0

    @Slot()
    def start(self) -> None:
        """Start the once-a-second frame rate report (on the camera thread)."""
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._report_fps)
        self._timer.start()

    @Slot()
    def shutdown(self) -> None:
        """Stop the pipeline's threads (on the camera thread, as it ends)."""
        if self._timer is not None:
            self._timer.stop()
        self.close_source()

    @Slot(str)
    def open_source(self, spec: str) -> None:
        """Switch to the source named by `spec` (a camera index, device, URL or file)."""
        self.close_source()
        try:
            if self._decoder is None:
                self._decoder = self._decoder_factory()
            source = self._source_factory(spec)
        except (MissingDecoderLib, ValueError) as exc:
            log.error("camera source %r unusable: %s", spec, exc)
            self.state_changed.emit(SourceState.FAILED.value, str(exc))
            self.camera_health_changed.emit(CameraHealth.FAILED.value, str(exc))
            return
        self._pipeline = ScanPipeline(source, self._decoder, self._settings,
                                      on_decoded=self._decoded, on_preview=self._preview,
                                      on_state=self._state, on_health=self._health)
        self._last_count, self._last_time = 0, time.monotonic()
        self._pipeline.start()

    @Slot()
    def close_source(self) -> None:
        """Stop the current source, if any, and wait for its threads."""
        pipeline, self._pipeline = self._pipeline, None
        if pipeline is not None:
            pipeline.stop()

    @Slot(int, int)
    def set_preview_size(self, width: int, height: int) -> None:
        """The preview's size on screen: frames are scaled to fit it before they are sent."""
        self._preview_width = max(64, width)
        self._preview_height = max(36, height)

    def pipeline(self) -> ScanPipeline | None:
        """The running pipeline (for the bench's statistics)."""
        return self._pipeline

    # -- pipeline callbacks: run on the pipeline's own threads --------------------------
    def _decoded(self, text: str, _frame_time: float) -> None:
        self.code_decoded.emit(text, time.perf_counter())

    def _preview(self, image: Image, _frame_time: float) -> None:
        self.frame_ready.emit(to_qimage(image, self._preview_width, self._preview_height))

    def _state(self, state: SourceState, detail: str) -> None:
        self.state_changed.emit(state.value, detail)

    def _health(self, health: CameraHealth, detail: str) -> None:
        self.camera_health_changed.emit(health.value, detail)

    def _report_fps(self) -> None:
        pipeline = self._pipeline
        if pipeline is None:
            return
        count = pipeline.stats().captured
        now = time.monotonic()
        elapsed = now - self._last_time
        if elapsed > 0:
            self.fps_measured.emit((count - self._last_count) / elapsed)
        self._last_count, self._last_time = count, now
