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

    try:
        info = sf.info(str(recording))
        samples, rate = _read(recording, "int32" if _wide(info.subtype) else "int16")
    except (RuntimeError, OSError, sf.LibsndfileError) as exc:
        raise RecordingError(str(recording), f"cannot be read for the redacted audio ({exc})") from exc
    muted = silence_spans(samples, rate, [(s.start, s.end) for s in spans], margin_s, fade_s)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f"{out.name}.{os.getpid()}.partial")
    sf.write(str(partial), muted, rate, format="FLAC", subtype="PCM_24" if _wide(info.subtype) else "PCM_16")
    partial.replace(out)
    return out


def _read(recording: str | Path, dtype: str):
    """All the samples the file holds: block by block past a decoder error part-way (a
    truncated FLAC), so a damaged recording that was scored gets its redacted copy too."""
    import soundfile as sf

    blocks = []
    with sf.SoundFile(str(recording)) as sound:
        while True:
            try:
                block = sound.read(4096, dtype=dtype, always_2d=True)
            except (RuntimeError, sf.LibsndfileError):
                if not blocks:
                    raise
                break
            if not len(block):
                break
            blocks.append(block)
        rate = sound.samplerate
    return (np.concatenate(blocks) if blocks else np.zeros((0, sound.channels), dtype)), rate


def _wide(subtype: str) -> bool:
    return subtype in ("PCM_24", "PCM_32", "FLOAT", "DOUBLE")
