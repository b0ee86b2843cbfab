"""Camera and decode pipeline: frame sources, decoders, ticket debounce, the scan pipeline.

No Qt in this package: the UI wraps `ScanPipeline` and turns its callbacks into signals.
"""

from gatescan.gate.camera.debounce import Debouncer, debounce_key
from gatescan.gate.camera.decoders import (
    BACKENDS,
    DEFAULT_BACKEND,
    DecodedCode,
    Decoder,
    Inversion,
    InvertingDecoder,
    MissingDecoderLib,
    PyzbarDecoder,
    ZxingDecoder,
    available_backends,
    make_decoder,
)
from gatescan.gate.camera.file_source import FileSource, MemorySource
from gatescan.gate.camera.frames import (
    Frame,
    FrameSource,
    SourceState,
    SourceUnavailable,
    SourceUnsupported,
)
from gatescan.gate.camera.health import CameraHealth, HealthMonitor, HealthSettings
from gatescan.gate.camera.opencv_source import (
    CameraInfo,
    CameraSettings,
    OpenCVSource,
    list_cameras,
    parse_source_spec,
)
from gatescan.gate.camera.pipeline import PipelineSettings, Roi, ScanPipeline, parse_roi

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "CameraHealth",
    "CameraInfo",
    "CameraSettings",
    "Debouncer",
    "DecodedCode",
    "Decoder",
    "FileSource",
    "Frame",
    "FrameSource",
    "HealthMonitor",
    "HealthSettings",
    "Inversion",
    "InvertingDecoder",
    "MemorySource",
    "MissingDecoderLib",
    "OpenCVSource",
    "PipelineSettings",
    "PyzbarDecoder",
    "Roi",
    "ScanPipeline",
    "SourceState",
    "SourceUnavailable",
    "SourceUnsupported",
    "ZxingDecoder",
    "available_backends",
    "debounce_key",
    "list_cameras",
    "make_decoder",
    "parse_roi",
    "parse_source_spec",
]
