"""Decoding recordings into 16 kHz float32 channels.

soundfile (libsndfile) reads WAV in every common encoding (PCM 8/16/24/32-bit, float,
mu-law, A-law), FLAC, OGG/Vorbis and MP3. Everything is resampled to the 16 kHz the
speech models expect. Anything that is not a usable one- or two-channel recording is
rejected with a `RecordingError` that says why in plain words.
"""

from __future__ import annotations

from math import gcd
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from qa_pipeline.errors import RecordingError
from qa_pipeline.records import SAMPLE_RATE, Audio

MIN_DURATION_S = 1.0
MAX_CHANNELS = 2
# Leading bytes of the containers soundfile reads. Checking them first keeps a text or
# image file named *.mp3 away from the MP3 decoder, which prints resync noise on stderr.
_MAGIC = (b"RIFF", b"RIFX", b"RF64", b"riff", b"fLaC", b"OggS", b"ID3", b"FORM", b".snd", b"caff", b"NIST")
_UNREADABLE = "not a readable audio file"


def load_audio(path: str | Path) -> Audio:
    """Read a recording and return its channels as 16 kHz float32 arrays.

    Raises `RecordingError` for a missing, empty, unreadable or non-audio file, a
    recording with more than two channels, or one shorter than one second.
    """
    name = str(path)
    file = Path(path)
    _check_file(file, name)
    try:
        data, rate = sf.read(file, dtype="float32", always_2d=True)
        info = sf.info(file)
    except (sf.LibsndfileError, RuntimeError, EOFError, ValueError) as exc:
        raise RecordingError(name, f"{_UNREADABLE} ({_plain(exc)})") from exc
    _check_content(data, rate, name)
    channels = tuple(_to_model_rate(data[:, i], rate) for i in range(data.shape[1]))
    return Audio(
        path=name,
        channels=channels,
        source_rate=int(rate),
        source_format=info.format,
        source_subtype=info.subtype,
    )


def _check_file(file: Path, name: str) -> None:
    if not file.exists():
        raise RecordingError(name, "file not found")
    if file.is_dir():
        raise RecordingError(name, "is a folder, not an audio file")
    if file.stat().st_size == 0:
        raise RecordingError(name, "file is empty (0 bytes)")
    with file.open("rb") as stream:
        head = stream.read(4)
    if not (head.startswith(_MAGIC) or _is_mpeg_frame(head)):
        raise RecordingError(name, f"{_UNREADABLE} (no WAV, FLAC, OGG or MP3 header)")


def _is_mpeg_frame(head: bytes) -> bool:
    return len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0


def _check_content(data: np.ndarray, rate: int, name: str) -> None:
    frames, count = data.shape
    if count > MAX_CHANNELS:
        raise RecordingError(
            name, f"has {count} channels; expected 1 (mono) or 2 (agent and customer)"
        )
    if frames == 0:
        raise RecordingError(name, "contains no audio samples")
    duration = frames / rate
    if duration < MIN_DURATION_S:
        raise RecordingError(
            name, f"recording is too short ({duration:.2f} s; at least {MIN_DURATION_S:g} s needed)"
        )
    if not np.isfinite(data).all():
        raise RecordingError(name, "contains invalid samples (NaN or infinity)")


def _to_model_rate(samples: np.ndarray, rate: int) -> np.ndarray:
    if rate == SAMPLE_RATE:
        return np.ascontiguousarray(samples, dtype=np.float32)
    divisor = gcd(int(rate), SAMPLE_RATE)
    resampled = resample_poly(samples, SAMPLE_RATE // divisor, int(rate) // divisor)
    return resampled.astype(np.float32)


def _plain(exc: Exception) -> str:
    # libsndfile messages repeat the path; keep the reason only.
    text = str(exc).strip().rstrip(".")
    if text.startswith("Error opening") and ": " in text:
        text = text.rsplit(": ", 1)[-1]
    if "not recognised" in text or "does not exist" in text:
        return "unrecognised format or damaged header"
    return f"damaged or truncated: {text[:1].lower() + text[1:]}" if text else type(exc).__name__
