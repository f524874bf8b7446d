"""Decoding recordings into 16 kHz float32 channels.

soundfile (libsndfile) reads WAV in every common encoding (PCM 8/16/24/32-bit, float,
mu-law, A-law), FLAC, OGG/Vorbis/Opus, MP3, AIFF and AU. Everything else a recorder writes
(M4A/AAC, Opus and AMR files, WMA, the audio track of a video) is decoded with PyAV, the
FFmpeg binding faster-whisper installs, limited to the containers in `PYAV_CONTAINERS`
(probing any file would let FFmpeg call random bytes audio). Everything is resampled to the 16 kHz the
speech models expect when a stage reads it (`Channel`): a long call holds its source
samples (int16 codes for 16-bit PCM) and the stretches its stages work on, never its
whole 16 kHz channels. Anything that
is not a usable one- or two-channel recording is rejected with a `RecordingError` that says
why in plain words. Damage a decoder passes
over quietly (a truncated file, clipped samples) becomes a warning on the `Audio`
(see `qa_pipeline.speech.damage`). What the C decoders print on stderr is captured and
logged with the file's name, not left as stray lines.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from math import ceil, gcd
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from qa_pipeline.errors import RecordingError
from qa_pipeline.records import CALL_END, SAMPLE_RATE, Audio
from qa_pipeline.speech.damage import find_truncation, full_scale, promised_frames

log = logging.getLogger(__name__)

MIN_DURATION_S = 1.0
MAX_CHANNELS = 2
# Below telephone band-width (8 kHz sampling) consonants are gone and Whisper mishears.
MIN_SAMPLE_RATE = 8_000
# Decoded in small blocks so that a decoder error part-way keeps what came before it.
_READ_FRAMES = 4096
# Source frames resampled at a time (about two minutes of 8 kHz audio).
BLOCK_FRAMES = 1 << 20
# Formats read in one go (see `_decode`).
_READ_WHOLE = frozenset({"MP3"})
# Subtypes the loader keeps as integer codes until resampling (`as_float` converts them):
# a 2-hour 8 kHz stereo call is 220 MB as int16, 440 MB as float32.
_INT16_SUBTYPES = frozenset({"PCM_16"})
# Frames the decoder's array is sized for from the header at most (3.4 hours at 44.1 kHz).
_PREALLOCATE_FRAMES = 1 << 29
# Frames converted or scanned at a time: no float copy of a whole long call.
_SCAN_FRAMES = 1 << 20
# Leading bytes of the containers soundfile reads. Checking them first keeps a text or
# image file named *.mp3 away from the MP3 decoder, which prints resync noise on stderr.
_MAGIC = (b"RIFF", b"RIFX", b"RF64", b"riff", b"fLaC", b"OggS", b"ID3", b"FORM", b".snd", b"caff", b"NIST")
_UNREADABLE = "not a readable audio file"
_NO_HEADER = "no WAV, FLAC, OGG, MP3, M4A/AAC, Opus, AMR, WMA or video header"
# FFmpeg demuxers (`container.format.name`) PyAV is used for: never WAV, FLAC or MP3,
# which libsndfile reads or rightly rejects.
PYAV_CONTAINERS = frozenset({
    "mov,mp4,m4a,3gp,3g2,mj2", "aac", "amr", "amrnb", "amrwb", "asf", "matroska,webm", "avi", "caf",
})


@dataclass(frozen=True)
class SourceInfo:
    """What the decoder says of a recording: its rate, channels and frames as stored,
    container/codec (soundfile's names, e.g. "WAV"/"PCM_16", or FFmpeg's codec, e.g. "AAC"/"")."""

    samplerate: int
    channels: int
    frames: int
    format: str
    subtype: str


def load_audio(path: str | Path) -> Audio:
    """Read a recording and return its channels as 16 kHz float32 `Channel`s (computed when read).

    Raises `RecordingError` for a missing, empty, unreadable or non-audio file, a
    recording with more than two channels, one shorter than one second, or one sampled
    below 8 kHz. A truncated or clipped recording is returned with a warning (and a
    truncated one with `CALL_END` in `Audio.missing`).
    """
    name = str(path)
    file = Path(path)
    data, info = source_samples(file, name, integers=True)
    rate = int(info.samplerate)
    truncation = find_truncation(promised_frames(file, info.format, info.frames), len(data), rate)
    try:
        _check_content(data, rate, name)
    except RecordingError as exc:
        raise RecordingError(name, f"{exc.reason}; {truncation.warning}" if truncation else exc.reason) from None
    warnings, missing = [], {}
    if truncation is not None:
        warnings.append(truncation.warning)
        missing[CALL_END] = truncation.warning
    peak, clipping = full_scale(data, info.subtype)
    if clipping:
        warnings.append(clipping)
    return Audio(
        path=name,
        channels=tuple(Channel(data[:, i], rate, peak) for i in range(data.shape[1])),
        source_rate=rate,
        source_format=info.format,
        source_subtype=info.subtype,
        warnings=tuple(warnings),
        missing=missing,
    )


def source_samples(path: str | Path, name: str | None = None, integers: bool = False) -> tuple[np.ndarray, SourceInfo]:
    """Every sample the file holds at its own rate, (frames, channels) float32, and its `SourceInfo`.

    With `integers`, 16-bit PCM (WAV, FLAC...) comes as its int16 codes instead: half the
    memory, and `as_float` gives the very floats libsndfile would. The one decoder of
    recordings (the redacted audio reads through it too). Raises `RecordingError` when the
    file is missing or no decoder reads it.
    """
    file, name = Path(path), name or str(path)
    head = _check_file(file, name)
    with decoder_messages(name):
        if head.startswith(_MAGIC) or _is_mpeg_frame(head):
            return _decode(file, name, integers)
        return _decode_pyav(file, name)


def _decode_pyav(file: Path, name: str) -> tuple[np.ndarray, SourceInfo]:
    """The first audio stream of a container PyAV reads (see `PYAV_CONTAINERS`), as float32.

    Decoded frame by frame; a decoder error part-way keeps the frames before it.
    """
    try:
        import av
    except ImportError:
        raise RecordingError(name, "is no WAV, FLAC, OGG or MP3; other formats need PyAV: "
                                   "pip install 'qa-pipeline[asr]'") from None
    try:
        container = av.open(str(file), metadata_errors="ignore")
    except (av.FFmpegError, ValueError) as exc:
        raise RecordingError(name, f"{_UNREADABLE} ({_NO_HEADER})") from exc
    with container:
        stream = next((s for s in container.streams if s.type == "audio"), None)
        if container.format.name not in PYAV_CONTAINERS:
            raise RecordingError(name, f"{_UNREADABLE} ({_NO_HEADER})")
        if stream is None:
            raise RecordingError(name, f"{_UNREADABLE} (its {container.format.long_name} container has no audio track)")
        if stream.codec_context is None:
            raise RecordingError(name, f"{_UNREADABLE} (no decoder for its {container.format.long_name} audio)")
        blocks, rate = _pyav_frames(container, stream, name)
        codec, rate = stream.codec_context.name.upper(), rate or stream.rate or 0
    data = np.ascontiguousarray(np.concatenate(blocks, axis=1).T) if blocks else np.zeros((0, 1), np.float32)
    return data.astype(np.float32, copy=False), SourceInfo(rate, data.shape[1], len(data), codec, "")


def _pyav_frames(container, stream, name: str) -> tuple[list[np.ndarray], int]:
    import av

    resampler = av.AudioResampler(format="fltp")  # planar float32; the first frame's rate and layout
    blocks: list[np.ndarray] = []
    rate = 0
    try:
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                rate = rate or out.sample_rate
                blocks.append(out.to_ndarray())
        blocks += [out.to_ndarray() for out in resampler.resample(None)]
    except av.DecoderNotFoundError as exc:  # an FFmpeg built without this codec's decoder
        codec = stream.codec_context.name.upper()
        raise RecordingError(name, f"{_UNREADABLE} (this FFmpeg build has no {codec} decoder)") from exc
    except (av.FFmpegError, ValueError) as exc:
        if not blocks:
            raise RecordingError(name, f"{_UNREADABLE} (damaged or truncated: {exc})") from exc
        log.info("%s: decoding stopped after %d frames (%s)", name, sum(b.shape[1] for b in blocks), exc)
    return blocks, rate


def _decode(file: Path, name: str, integers: bool = False):
    """All the samples the file holds, and its `soundfile` info.

    Read block by block into one array sized from the header, so a decoder error
    part-way (a FLAC cut mid-frame) keeps the blocks decoded before it; the frame count
    the header promised then shows the truncation. MP3 is read in one go when it can be:
    libsndfile's MP3 samples differ (by ~1e-7) with the size of each read, and Whisper's
    words can change with them. With `integers`, 16-bit PCM is read as int16.
    """
    try:
        info = sf.info(file)
        dtype = "int16" if integers and info.subtype in _INT16_SUBTYPES else "float32"
        with sf.SoundFile(file) as sound:
            data = _read_whole(sound, name) if info.format in _READ_WHOLE else None
            if data is None:
                data = _read_blocks(sound, name, info.channels, info.frames, dtype)
    except (sf.LibsndfileError, RuntimeError, EOFError, ValueError) as exc:
        raise RecordingError(name, f"{_UNREADABLE} ({_plain(exc)})") from exc
    except OSError as exc:
        raise RecordingError(name, f"cannot be read ({exc.strerror or exc})") from exc
    return data, SourceInfo(info.samplerate, info.channels, info.frames, info.format, info.subtype)


def _read_whole(sound: sf.SoundFile, name: str) -> np.ndarray | None:
    try:
        sound.seek(0)  # as soundfile.read does: the samples match what the loader always gave
        return sound.read(dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as exc:
        log.info("%s: reading in one go failed (%s); reading block by block", name, _plain(exc))
        sound.seek(0)
        return None


def _read_blocks(sound: sf.SoundFile, name: str, channels: int, frames: int, dtype: str = "float32") -> np.ndarray:
    """`_READ_FRAMES` at a time into an array of the `frames` the header gives (no second
    copy of a long call); frames past that, if any, are read on into blocks and appended."""
    # A header may promise anything (a streamed WAV: the largest count there is): past
    # `_PREALLOCATE_FRAMES` the blocks are only appended.
    data = np.empty((frames if 0 < frames <= _PREALLOCATE_FRAMES else 0, max(channels, 1)), dtype)
    extra: list[np.ndarray] = []
    done = 0
    while True:
        room = min(_READ_FRAMES, len(data) - done)
        try:
            if room > 0:
                got = len(sound.read(dtype=dtype, always_2d=True, out=data[done : done + room]))
            else:
                extra.append(sound.read(_READ_FRAMES, dtype=dtype, always_2d=True))
                got = len(extra[-1])
        except (sf.LibsndfileError, RuntimeError) as exc:
            if not done:
                raise
            log.info("%s: decoding stopped after %d frames (%s)", name, done, _plain(exc))
            break
        if not got:
            break
        done += got
    if done < len(data):
        data = data[:done].copy() if done < len(data) // 2 else data[:done]
    return np.concatenate([data, *extra]) if any(len(b) for b in extra) else data


def check_path(path: str | Path) -> None:
    """Raise `RecordingError` unless `path` names a regular file (or a link to one).

    Checked before anything opens the file: a folder, a broken link, a pipe (which
    would block a reader) or a device gets its own reason.
    """
    _check_path(Path(path), str(path))


def _check_file(file: Path, name: str) -> bytes:
    """The file's first bytes, once it is known to be a non-empty regular file."""
    _check_path(file, name)
    try:
        if file.stat().st_size == 0:
            raise RecordingError(name, "file is empty (0 bytes)")
        with file.open("rb") as stream:
            head = stream.read(4)
    except FileNotFoundError as exc:
        raise RecordingError(name, "file not found (it disappeared while being read)") from exc
    except OSError as exc:
        raise RecordingError(name, f"cannot be read ({exc.strerror or exc})") from exc
    return head


def _check_path(file: Path, name: str) -> None:
    try:
        file.stat()
    except FileNotFoundError:
        raise RecordingError(name, "broken link (its target does not exist)" if file.is_symlink() else "file not found") from None
    except OSError as exc:  # a link loop, a name too long, a folder that cannot be searched
        raise RecordingError(name, f"cannot be read ({exc.strerror or exc})") from None
    if file.is_dir():
        readable = os.access(file, os.R_OK | os.X_OK)
        raise RecordingError(name, "is a folder, not an audio file" if readable else "is a folder that cannot be read")
    if not file.is_file():
        raise RecordingError(name, "is not a regular file (a device, pipe or socket)")


def _is_mpeg_frame(head: bytes) -> bool:
    """An MPEG audio frame sync (11 bits set) with a layer; layer 00 is ADTS AAC's, for PyAV."""
    return len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06 != 0


def _check_content(data: np.ndarray, rate: int, name: str) -> None:
    frames, count = data.shape
    if count > MAX_CHANNELS:
        raise RecordingError(
            name, f"has {count} channels; expected 1 (mono) or 2 (agent and customer)"
        )
    if frames == 0:
        raise RecordingError(name, "contains no audio samples")
    if rate < MIN_SAMPLE_RATE:
        raise RecordingError(
            name, f"sample rate {rate} Hz is below {MIN_SAMPLE_RATE} Hz (telephone audio); speech cannot be recognised"
        )
    duration = frames / rate
    if duration < MIN_DURATION_S:
        raise RecordingError(
            name, f"recording is too short ({duration:.2f} s; at least {MIN_DURATION_S:g} s needed)"
        )
    if data.dtype.kind == "f" and not all(np.isfinite(data[i : i + _SCAN_FRAMES]).all()
                                          for i in range(0, frames, _SCAN_FRAMES)):
        raise RecordingError(name, "contains invalid samples (NaN or infinity)")


def as_float(samples: np.ndarray, peak: float | None = None) -> np.ndarray:
    """Samples as float32 in [-1, 1]: int16 codes as libsndfile reads them (k / 32768, exact
    in float32), then divided by `peak` when a float recording went beyond full scale."""
    floats = samples.astype(np.float32) * np.float32(1 / 32768) if samples.dtype == np.int16 else samples
    return floats if peak is None else (floats / peak).astype(np.float32)


def model_rate_length(frames: int, rate: int) -> int:
    """Samples at 16 kHz of `frames` source frames at `rate` Hz (as `resample_poly` gives them)."""
    divisor = gcd(int(rate), SAMPLE_RATE)
    return ceil(frames * (SAMPLE_RATE // divisor) / (int(rate) // divisor))


def _resampled(samples: np.ndarray, rate: int, peak: float | None, first: int, last: int) -> np.ndarray:
    """16 kHz samples `first`..`last` of a channel at `rate` (see `as_float`), `BLOCK_FRAMES` source frames at a time.

    Each block is resampled with `pad` source frames of its neighbours on either side,
    more than the polyphase filter reaches (10 * max(up, down) taps at the upsampled
    rate, SciPy's default), and blocks start on the filter's phase grid (a multiple of
    `down` source frames), so any stretch equals that stretch of the whole signal
    resampled at once, bit for bit.
    """
    out = np.empty(max(0, last - first), np.float32)
    if rate == SAMPLE_RATE:
        for start in range(first, last, _SCAN_FRAMES):
            end = min(last, start + _SCAN_FRAMES)
            out[start - first : end - first] = as_float(samples[start:end], peak)
        return out
    divisor = gcd(int(rate), SAMPLE_RATE)
    up, down = SAMPLE_RATE // divisor, int(rate) // divisor
    pad = down * ceil((10 * max(up, down) / up + 2) / down)
    block = down * max(1, BLOCK_FRAMES // down)
    source_end = min(len(samples), ceil(last / up) * down)
    for start in range(first // up * down, source_end, block):
        begin = max(0, start - pad)
        segment = as_float(samples[begin : start + block + pad], peak)
        lo = (start - begin) * up // down
        hi = None if start + block >= len(samples) else lo + block * up // down
        piece = resample_poly(segment, up, down)[lo:hi]
        at = start * up // down  # where the piece starts in the whole 16 kHz channel
        keep_from, keep_to = max(first, at), min(last, at + len(piece))
        out[keep_from - first : keep_to - first] = piece[keep_from - at : keep_to - at]
    return out


class Channel(np.lib.mixins.NDArrayOperatorsMixin):
    """One channel of a recording as 16 kHz float32, resampled from its source samples when read.

    What `load_audio` gives for each channel in place of the whole 16 kHz array: a 2-hour
    8 kHz stereo call holds its 230 MB of int16 codes, not 920 MB of float32 channels, and
    each stage computes the stretch it works on. It behaves as a 1-D float32 array:
    `len`, `shape`, `dtype`; `channel[a:b]` is that stretch as a new float32 array,
    computed now; `channel[a:]` (no end) is a `Channel` from `a` on, still not computed,
    so a stage can pass the rest of a long channel on without holding it;
    `np.asarray(channel)` (and any numpy function or operator given a `Channel`) computes
    all of it. The values are those of the whole source resampled at once, bit for bit.

    The last stretch of up to `CACHE_SAMPLES` computed is kept (`_cache`), so the blocks a
    stage scans one after another, and all of a short call, are resampled once. The cache
    is one tuple replaced whole (an atomic assignment), so a `Channel` read from two threads
    at once only risks computing a stretch twice; the pipeline reads each channel on one
    thread at a time.
    """

    __slots__ = ("_source", "_start", "_stop")

    def __init__(self, samples: np.ndarray, rate: int, peak: float | None = None) -> None:
        self._source = _Source(samples, int(rate), peak)
        self._start, self._stop = 0, model_rate_length(len(samples), rate)

    @classmethod
    def _view(cls, source: _Source, start: int, stop: int) -> Channel:
        view = cls.__new__(cls)
        view._source, view._start, view._stop = source, start, stop
        return view

    def __len__(self) -> int:
        return self._stop - self._start

    @property
    def shape(self) -> tuple[int]:
        return (len(self),)

    @property
    def size(self) -> int:
        return len(self)

    ndim = 1
    dtype = np.dtype(np.float32)

    def __getitem__(self, key):
        if isinstance(key, slice) and key.step in (None, 1):
            start, stop, _ = key.indices(len(self))
            stop = max(start, stop)
            if key.stop is None:
                return Channel._view(self._source, self._start + start, self._stop)
            return self._source.samples(self._start + start, self._start + stop)
        if isinstance(key, (int, np.integer)):
            index = range(len(self))[key]
            return self._source.samples(self._start + index, self._start + index + 1)[0]
        return np.asarray(self)[key]

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        samples = self._source.samples(self._start, self._stop)
        return samples if dtype is None else samples.astype(dtype, copy=False)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        inputs = tuple(np.asarray(x) if isinstance(x, Channel) else x for x in inputs)
        return getattr(ufunc, method)(*inputs, **kwargs)

    def astype(self, dtype, copy: bool = True) -> np.ndarray:
        return np.asarray(self, dtype=dtype)

    def __repr__(self) -> str:
        return f"Channel({len(self)} samples at {SAMPLE_RATE} Hz from {self._source.rate} Hz)"


# 16 kHz samples a `Channel` keeps of what it last computed (262 s, 16 MB): every sample
# call is one stretch, and a 150 s transcription piece fits.
CACHE_SAMPLES = 1 << 22


class _Source:
    """A channel's source samples, their rate and peak, and the last stretch computed from them."""

    __slots__ = ("samples_at_rate", "rate", "peak", "_cache")

    def __init__(self, samples: np.ndarray, rate: int, peak: float | None) -> None:
        self.samples_at_rate, self.rate, self.peak = samples, rate, peak
        self._cache: tuple[int, int, np.ndarray] = (0, 0, np.empty(0, np.float32))

    def samples(self, first: int, last: int) -> np.ndarray:
        """16 kHz samples `first`..`last`: a new float32 array.

        A channel of up to `CACHE_SAMPLES` is computed whole on its first read and kept; a
        longer one keeps the `CACHE_SAMPLES` from the last stretch read that was not kept
        (stretches over half that are computed alone).
        """
        lo, hi, kept = self._cache
        if not lo <= first <= last <= hi:
            total = model_rate_length(len(self.samples_at_rate), self.rate)
            if total > CACHE_SAMPLES and last - first > CACHE_SAMPLES // 2:
                return _resampled(self.samples_at_rate, self.rate, self.peak, first, last)
            lo = 0 if total <= CACHE_SAMPLES else first
            hi = min(total, lo + CACHE_SAMPLES)
            kept = _resampled(self.samples_at_rate, self.rate, self.peak, lo, hi)
            self._cache = (lo, hi, kept)
        return kept[first - lo : last - lo].copy()


def _plain(exc: Exception) -> str:
    # libsndfile messages repeat the path; keep the reason only.
    text = str(exc).strip().rstrip(".")
    if text.startswith("Error opening") and ": " in text:
        text = text.rsplit(": ", 1)[-1]
    if "not recognised" in text or "does not exist" in text:
        return "unrecognised format or damaged header"
    return f"damaged or truncated: {text[:1].lower() + text[1:]}" if text else type(exc).__name__


# What libmpg123 and libsndfile print: "Note: Illegal Audio-MPEG-Header ...",
# "Warning: Xing stream size off ...", "[src/libmpg123/parse.c:...] error: ...".
_DECODER_LINE = re.compile(r"^(Note|Warning|Error|\[src/)|mpg123|big_resync|libsndfile", re.IGNORECASE)
_STDERR_LOCK = threading.Lock()


@contextmanager
def decoder_messages(name: str) -> Iterator[None]:
    """Capture what C decoders write to the process's stderr and log it against `name`.

    The decoders write to file descriptor 2 directly, so the descriptor is redirected
    while one file decodes (one at a time per process). Lines that are not a decoder's
    (another thread logging meanwhile) are written back to stderr unchanged.
    """
    with _STDERR_LOCK, tempfile.TemporaryFile() as capture:
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError, AttributeError):
            yield  # no usable stderr to guard
            return
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            try:
                sys.stderr.flush()
            except (OSError, ValueError, AttributeError):
                pass
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            _route(capture.read().decode("utf-8", "replace"), name)


def _route(text: str, name: str) -> None:
    others = []
    for line in text.splitlines():
        if _DECODER_LINE.search(line):
            log.debug("%s: decoder said: %s", name, line.strip())
        elif line.strip():
            others.append(line)
    if others:
        sys.stderr.write("\n".join(others) + "\n")
