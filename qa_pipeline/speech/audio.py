"""Decoding recordings into 16 kHz float32 channels.

soundfile (libsndfile) reads WAV in every common encoding (PCM 8/16/24/32-bit, float,
mu-law, A-law), FLAC, OGG/Vorbis and MP3. Everything is resampled to the 16 kHz the
speech models expect, a block at a time, so decoding a long call holds its 16 kHz
channels and one block, not several full-length copies (a 30-minute 8 kHz stereo FLAC
decodes with a peak of 364 MB instead of 544; MP3 is read whole, see `_READ_WHOLE`). Anything that is not a usable one- or
two-channel recording is rejected with a `RecordingError` that says why in plain words.
"""

from __future__ import annotations

from math import ceil, gcd
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
# Source frames decoded and resampled at a time (about two minutes of 8 kHz audio).
BLOCK_FRAMES = 1 << 20
# libsndfile's MP3 decoder gives samples that differ (by ~1e-7) with the size of each read,
# and Whisper's words can change with them, so MP3 is read in one go, as it always was;
# only its resampling goes block by block.
_READ_WHOLE = frozenset({"MP3"})


def load_audio(path: str | Path) -> Audio:
    """Read a recording and return its channels as 16 kHz float32 arrays.

    Raises `RecordingError` for a missing, empty, unreadable or non-audio file, a
    recording with more than two channels, or one shorter than one second.
    """
    name = str(path)
    file = Path(path)
    _check_file(file, name)
    try:
        with sf.SoundFile(file) as stream:
            _check_shape(stream.channels, None, stream.samplerate, name)
            channels = _decode(stream, name)
            rate, source_format, subtype = stream.samplerate, stream.format, stream.subtype
    except (sf.LibsndfileError, RuntimeError, EOFError, ValueError) as exc:
        raise RecordingError(name, f"{_UNREADABLE} ({_plain(exc)})") from exc
    _check_shape(len(channels), len(channels[0]), SAMPLE_RATE, name)
    return Audio(
        path=name,
        channels=channels,
        source_rate=int(rate),
        source_format=source_format,
        source_subtype=subtype,
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


def _check_shape(count: int, frames: int | None, rate: int, name: str) -> None:
    """Channel count, then (when `frames` is given) length; `RecordingError` when unusable."""
    if count > MAX_CHANNELS:
        raise RecordingError(
            name, f"has {count} channels; expected 1 (mono) or 2 (agent and customer)"
        )
    if frames is None:
        return
    if frames == 0:
        raise RecordingError(name, "contains no audio samples")
    duration = frames / rate
    if duration < MIN_DURATION_S:
        raise RecordingError(
            name, f"recording is too short ({duration:.2f} s; at least {MIN_DURATION_S:g} s needed)"
        )


def _decode(stream: sf.SoundFile, name: str) -> tuple[np.ndarray, ...]:
    """The stream's channels at 16 kHz, read and resampled `BLOCK_FRAMES` at a time.

    Each block is resampled with `pad` source frames of its neighbours on either side,
    more than the polyphase filter reaches (10 * max(up, down) taps at the upsampled
    rate, SciPy's default), so the result equals resampling the whole signal at once.
    """
    rate = int(stream.samplerate)
    up, down = SAMPLE_RATE // gcd(rate, SAMPLE_RATE), rate // gcd(rate, SAMPLE_RATE)
    pad = down * ceil((10 * max(up, down) / up + 2) / down)
    block = down * max(1, BLOCK_FRAMES // down)
    out = _Output(stream.channels, ceil(max(stream.frames, 0) * up / down))
    read = _reader(stream)
    buffer, base, start = np.empty((0, stream.channels), np.float32), 0, 0
    while True:
        wanted = start + block + pad - (base + len(buffer))
        if wanted > 0:
            chunk = read(wanted)
            if not np.isfinite(chunk).all():
                raise RecordingError(name, "contains invalid samples (NaN or infinity)")
            buffer = np.concatenate([buffer, chunk]) if len(buffer) else chunk
        end = base + len(buffer)
        if start >= end:
            break
        first = max(0, start - pad)
        segment = buffer[first - base :]
        last = start + block >= end  # no more source after this block
        lo = (start - first) * up // down
        hi = None if last else lo + block * up // down
        out.write(start * up // down, [_resample(segment[:, c], up, down)[lo:hi] for c in range(stream.channels)])
        if last:
            break
        start += block
        kept = max(0, start - pad)
        buffer, base = buffer[kept - base :], kept
    return out.channels()


def _reader(stream: sf.SoundFile):
    """A function returning the next `n` source frames (fewer at the end), as float32 (frames, channels)."""
    if stream.format not in _READ_WHOLE:
        return lambda n: stream.read(n, dtype="float32", always_2d=True)
    stream.seek(0)  # as soundfile.read does: the samples match what the loader always gave
    data, position = stream.read(dtype="float32", always_2d=True), 0

    def read(n: int) -> np.ndarray:
        nonlocal position
        chunk = data[position : position + n]
        position += len(chunk)
        return chunk

    return read


def _resample(samples: np.ndarray, up: int, down: int) -> np.ndarray:
    if up == down:
        return samples
    return resample_poly(samples, up, down).astype(np.float32)


class _Output:
    """Channels filled block by block; sized from the header, grown if the header was short."""

    def __init__(self, channels: int, frames: int) -> None:
        self._data = np.empty((channels, frames), np.float32)
        self._used = 0

    def write(self, at: int, blocks: list[np.ndarray]) -> None:
        end = at + len(blocks[0])
        if end > self._data.shape[1]:
            grown = np.empty((self._data.shape[0], end), np.float32)
            grown[:, : self._used] = self._data[:, : self._used]
            self._data = grown
        for channel, samples in enumerate(blocks):
            self._data[channel, at:end] = samples
        self._used = max(self._used, end)

    def channels(self) -> tuple[np.ndarray, ...]:
        return tuple(np.ascontiguousarray(row[: self._used]) for row in self._data)


def _plain(exc: Exception) -> str:
    # libsndfile messages repeat the path; keep the reason only.
    text = str(exc).strip().rstrip(".")
    if text.startswith("Error opening") and ": " in text:
        text = text.rsplit(": ", 1)[-1]
    if "not recognised" in text or "does not exist" in text:
        return "unrecognised format or damaged header"
    return f"damaged or truncated: {text[:1].lower() + text[1:]}" if text else type(exc).__name__
