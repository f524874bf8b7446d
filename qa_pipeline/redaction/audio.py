"""The redacted copy of a recording: PII spans silenced on every channel.

The channel that said the words and the other one (which carries its echo) are both
silenced over [start - margin, end + margin], with short linear ramps inside the margin
so the cut does not click. Everything outside is copied sample for sample (FLAC is lossless).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

import numpy as np

from qa_pipeline.errors import RecordingError

SUFFIX = ".redacted.flac"


def redacted_audio_path(out_dir: str | Path, stem: str) -> Path:
    return Path(out_dir) / f"{stem}{SUFFIX}"


def silence_spans(samples: np.ndarray, rate: int, spans: Iterable[tuple[float, float]],
                  margin_s: float, fade_s: float) -> np.ndarray:
    """A copy of `samples` (frames x channels) with each (start, end) second span muted, all channels."""
    out = samples.copy()
    gain = np.ones(len(out), dtype=np.float64)
    ramp = max(1, int(fade_s * rate))
    for start, end in spans:
        first = max(0, int((start - margin_s) * rate))
        last = min(len(out), int(np.ceil((end + margin_s) * rate)))
        if last <= first:
            continue
        gain[first:last] = 0.0
        down = np.linspace(1.0, 0.0, ramp, endpoint=False)
        lo = max(0, first - ramp)
        gain[lo:first] = np.minimum(gain[lo:first], down[ramp - (first - lo):])
        hi = min(len(out), last + ramp)
        gain[last:hi] = np.minimum(gain[last:hi], down[::-1][: hi - last])
    touched = gain < 1.0
    out[touched] = (out[touched].astype(np.float64) * gain[touched, None]).astype(out.dtype)
    return out


def write_redacted_audio(recording: str | Path, spans, out_path: str | Path,
                         margin_s: float = 0.15, fade_s: float = 0.01) -> Path:
    """Write the recording with `spans` (objects with .start/.end seconds) silenced, as FLAC.

    The original sample rate and channels are kept; 16-bit PCM unless the source has more
    bits. Written to a temporary name and renamed, so a reader never sees half a file.
    Raises `RecordingError` if the recording cannot be read.
    """
    import soundfile as sf

    from qa_pipeline.speech.audio import source_samples  # the loader scoring used: every format it reads

    try:
        data, info = source_samples(recording)
    except RecordingError as exc:
        raise RecordingError(str(recording), f"cannot be read for the redacted audio ({exc.reason})") from exc
    samples, rate = _pcm(data, _wide(info.subtype)), info.samplerate
    muted = silence_spans(samples, rate, [(s.start, s.end) for s in spans], margin_s, fade_s)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f"{out.name}.{os.getpid()}.partial")
    sf.write(str(partial), muted, rate, format="FLAC", subtype="PCM_24" if _wide(info.subtype) else "PCM_16")
    partial.replace(out)
    return out


def _pcm(data: np.ndarray, wide: bool) -> np.ndarray:
    """Decoded float samples (frames, channels) as the integer PCM the FLAC is written in.

    The inverse of soundfile's int -> float (k / 2**15, k / 2**31), so PCM sources are copied
    sample for sample."""
    dtype = np.int32 if wide else np.int16
    info = np.iinfo(dtype)
    return np.clip(np.round(data.astype(np.float64) * -float(info.min)), info.min, info.max).astype(dtype)


def _wide(subtype: str) -> bool:
    return subtype in ("PCM_24", "PCM_32", "FLOAT", "DOUBLE")
