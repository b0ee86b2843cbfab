"""Distinct sounds for admit, refuse, check and 'not recorded', made here as small WAV files.

PySide6-Essentials has no QtMultimedia, so sounds play through QSoundEffect when
PySide6-Addons is installed, else through the system's player (`pw-play`,
`paplay` or ALSA's `aplay`) started without waiting, else not at all (logged
once, and shown in the manager's status). A player that fails (no sound card,
no sound server) is silenced: its error output goes to one log line, not to the
terminal or the journal once per verdict.
"""

from __future__ import annotations

import enum
import logging
import math
import shutil
import struct
import wave
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QProcess

from gatescan.gate.ui.display import Tone
from gatescan.protocol.files import atomic_writer

log = logging.getLogger(__name__)

RATE = 22050
PLAYERS: tuple[tuple[str, ...], ...] = (("pw-play",), ("paplay",), ("aplay", "-q"))

# (frequency Hz, seconds) notes; 0 Hz is a pause. Rising = yes, low buzz = no.
MELODIES: dict[Tone, list[tuple[float, float]]] = {
    Tone.ADMIT: [(880, 0.09), (0, 0.02), (1320, 0.16)],
    Tone.REFUSE: [(196, 0.22), (0, 0.06), (196, 0.32)],
    Tone.CHECK: [(660, 0.1), (0, 0.06), (660, 0.1), (0, 0.06), (660, 0.1)],
    Tone.ERROR: [(147, 0.7)],
    Tone.REPEAT: [(523, 0.12)],  # one short soft tick: neither the yes nor the no sound
}


class Alert(enum.Enum):
    """Sounds that are not verdicts: played once when a condition begins."""

    CAMERA_DOWN = "camera_down"


# Falling three-note alarm, unlike any verdict: the camera stopped working.
ALERTS: dict[Alert, list[tuple[float, float]]] = {
    Alert.CAMERA_DOWN: [(988, 0.14), (0, 0.05), (740, 0.14), (0, 0.05), (494, 0.3)],
}


def synthesize(notes: Sequence[tuple[float, float]], *, square: bool = False) -> bytes:
    """16-bit mono PCM of the notes, with short fades so nothing clicks."""
    frames = bytearray()
    for freq, seconds in notes:
        count = int(RATE * seconds)
        fade = max(1, int(RATE * 0.008))
        for i in range(count):
            if freq <= 0:
                sample = 0.0
            else:
                phase = math.sin(2 * math.pi * freq * i / RATE)
                sample = (1.0 if phase >= 0 else -1.0) * 0.35 if square else phase * 0.6
                sample *= min(1.0, i / fade, (count - i) / fade)
            frames += struct.pack("<h", int(sample * 32767))
    return bytes(frames)


def write_sounds(folder: Path) -> dict[Tone | Alert, Path]:
    """Write one WAV per tone and alert into `folder` (skipped when already there)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[Tone | Alert, Path] = {}
    sounds: list[tuple[Tone | Alert, list[tuple[float, float]]]] = [*MELODIES.items(),
                                                                     *ALERTS.items()]
    for tone, notes in sounds:
        path = folder / f"{tone.value}.wav"
        if not path.exists():
            with atomic_writer(path, mode=None) as raw, wave.open(raw, "wb") as out:
                out.setnchannels(1)
                out.setsampwidth(2)
                out.setframerate(RATE)
                out.writeframes(synthesize(notes, square=tone in (Tone.REFUSE, Tone.ERROR)))
        paths[tone] = path
    return paths


Launcher = Callable[[str, list[str]], bool]


class _QuietLauncher:
    """Starts the player without waiting; its output is kept, and the first failure is
    logged in one line (a machine without a sound card fails every time)."""

    def __init__(self) -> None:
        self.running: set[QProcess] = set()
        self.failed = False

    def __call__(self, program: str, args: list[str]) -> bool:
        process = QProcess()
        process.setProgram(program)
        process.setArguments(args)
        process.setStandardOutputFile(QProcess.nullDevice())
        process.finished.connect(lambda code, _status, p=process: self._done(p, code))
        process.errorOccurred.connect(lambda error, p=process: self._error(p, error))
        self.running.add(process)
        process.start()
        return True

    def _done(self, process: QProcess, code: int) -> None:
        if code != 0:
            err = bytes(process.readAllStandardError().data()).decode("utf-8", "replace")
            first = next((line for line in err.splitlines() if line.strip()), "")
            self._fail(f"{process.program()} exited with {code}: {first.strip()}")
        self._forget(process)

    def _error(self, process: QProcess, error: QProcess.ProcessError) -> None:
        if error is QProcess.ProcessError.FailedToStart:
            self._fail(f"{process.program()} did not start")
            self._forget(process)

    def _fail(self, why: str) -> None:
        if not self.failed:
            self.failed = True
            log.warning("no sound output (%s); verdict sounds stay off", why)

    def _forget(self, process: QProcess) -> None:
        self.running.discard(process)
        process.deleteLater()


class SoundPlayer:
    """Plays the tone's sound without blocking; `backend` says how (or 'none')."""

    def __init__(self, folder: Path, *, enabled: bool = True,
                 launcher: Launcher | None = None,
                 which: Callable[[str], str | None] = shutil.which,
                 try_qt: bool = True) -> None:
        self.paths = write_sounds(folder)
        self._quiet = _QuietLauncher()
        self._launcher = launcher or self._quiet
        self._effects: dict[Tone | Alert, Any] = {}
        self._command: tuple[str, ...] | None = None
        self.backend = "none"
        if not enabled:
            self.backend = "off"
            return
        if try_qt and self._load_qt():
            self.backend = "qtmultimedia"
            return
        for command in PLAYERS:
            found = which(command[0])
            if found:
                self._command = (found, *command[1:])
                self.backend = command[0]
                return
        log.warning("no sound output: install PySide6-Addons, pipewire or alsa-utils")

    def _load_qt(self) -> bool:
        try:
            from PySide6.QtCore import QUrl
            from PySide6.QtMultimedia import QSoundEffect  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            return False
        for tone, path in self.paths.items():
            effect = QSoundEffect()
            effect.setSource(QUrl.fromLocalFile(str(path)))
            self._effects[tone] = effect
        return True

    def play(self, tone: Tone | Alert) -> None:
        """Start the tone's (or alert's) sound and return at once."""
        effect = self._effects.get(tone)
        if effect is not None:
            effect.play()
            return
        if self._command is not None and not self._quiet.failed:
            program, *args = self._command
            if not self._launcher(program, [*args, str(self.paths[tone])]):
                log.warning("sound player %s failed to start", program)
