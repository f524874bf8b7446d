"""The redacted copy of a recording: PII spans silenced on every channel.

The channel that said the words and the other one (which carries its echo) are both
silenced over [start - margin, end + margin], with short linear ramps inside the margin
so the cut does not click. Everything outside is copied sample for sample (FLAC is lossless).

Answers to questions that ask for PII and announced PII (`PiiSpan.kind` other than
"words", from `redaction.dialogue`) are planned from the recording itself, not from recognised words:
the answering channel's own speech (`speech.speech_activity.own_speech_frames`) that
overlaps the answer window is silenced to its end, so speech ASR dropped or garbled,
or that ran on past the agent's next words, is silenced too.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from qa_pipeline.errors import RecordingError

SUFFIX = ".redacted.flac"


def redacted_audio_path(out_dir: str | Path, stem: str) -> Path:
    return Path(out_dir) / f"{stem}{SUFFIX}"


def silence_spans(samples: np.ndarray, rate: int, spans: Iterable[tuple[float, float]],
                  margin_s: float, fade_s: float, in_place: bool = False) -> np.ndarray:
    """A copy of `samples` (frames x channels) with each (start, end) second span muted, all
    channels; with `in_place`, `samples` itself, muted (no second copy of a long call).

    The gain is built over the muted stretches and their ramps only (a float64 gain for
    every frame of a 2-hour 8 kHz call was 460 MB).
    """
    out = samples if in_place else samples.copy()
    ramp = max(1, int(fade_s * rate))
    down = np.linspace(1.0, 0.0, ramp, endpoint=False)
    cuts = []
    for start, end in spans:
        first = max(0, int((start - margin_s) * rate))
        last = min(len(out), int(np.ceil((end + margin_s) * rate)))
        if last > first:
            cuts.append((first, last))
    for lo, hi, group in _stretches(cuts, ramp, len(out)):
        gain = np.ones(hi - lo, dtype=np.float64)
        for first, last in group:
            gain[first - lo : last - lo] = 0.0
            begin, stop = max(0, first - ramp), min(len(out), last + ramp)
            gain[begin - lo : first - lo] = np.minimum(gain[begin - lo : first - lo], down[ramp - (first - begin):])
            gain[last - lo : stop - lo] = np.minimum(gain[last - lo : stop - lo], down[::-1][: stop - last])
        touched, part = gain < 1.0, out[lo:hi]
        part[touched] = (part[touched].astype(np.float64) * gain[touched, None]).astype(out.dtype)
    return out


def _stretches(cuts: list[tuple[int, int]], ramp: int, frames: int) -> list[tuple[int, int, list[tuple[int, int]]]]:
    """(lo, hi, cuts) per run of cuts whose ramped frame ranges overlap."""
    groups: list[tuple[int, int, list[tuple[int, int]]]] = []
    for lo, hi, cut in sorted((max(0, f - ramp), min(frames, e + ramp), (f, e)) for f, e in cuts):
        if groups and lo <= groups[-1][1]:
            first, last, group = groups[-1]
            groups[-1] = (first, max(last, hi), [*group, cut])
        else:
            groups.append((lo, hi, [cut]))
    return groups


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
        data, info = source_samples(recording, integers=True)  # 16-bit PCM as its int16 codes
    except RecordingError as exc:
        raise RecordingError(str(recording), f"cannot be read for the redacted audio ({exc.reason})") from exc
    samples, rate = data if data.dtype == np.int16 else _pcm(data, _wide(info.subtype)), info.samplerate
    del data
    # The decoded samples are this function's own: muted where they lie.
    muted = silence_spans(samples, rate, plan_spans(samples, rate, spans), margin_s, fade_s, in_place=True)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f"{out.name}.{os.getpid()}.partial")
    sf.write(str(partial), muted, rate, format="FLAC", subtype="PCM_24" if _wide(info.subtype) else "PCM_16")
    partial.replace(out)
    return out


# How far an answer's speech is followed past its window (back over the question's end, on
# past the agent's next words): a spoken card number is 8-10 s (16 digits at the 2-3 words
# a second of read-out numbers), so a few seconds covers a reply that overlaps the agent.
EXTEND_S = 3.0
# Pauses inside one reply: digit groups are read with pauses of up to about half a second.
REPLY_GAP_S = 0.6


def plan_spans(samples: np.ndarray, rate: int, spans) -> list[tuple[float, float]]:
    """(start, end) seconds to silence: each span's own times; answer windows fitted to speech.

    `samples` are frames x channels. An answer window (`kind` "answer") grows over the
    answering channel's speech that crosses its edges (up to `EXTEND_S`); an open one
    ("open_answer", no agent turn closed it) ends where that speech ends. With no speech
    found in an open window the whole window is kept (the detector may miss quiet speech).
    """
    from qa_pipeline.speech.crosstalk import FRAME_S

    planned, activity = [], {}
    for span in spans:
        kind = getattr(span, "kind", "words")
        if kind == "words":
            planned.append((span.start, span.end))
            continue
        channel = span.channel if span.channel is not None and span.channel < samples.shape[1] else None
        if channel not in activity:
            activity[channel] = speech_frames(samples, rate, channel)
        # One mixed channel (mono, or the answering channel unknown) also holds the agent: its
        # speech says where an open answer ends, but is not followed past the window's edges.
        # An announced answer is not followed back: before it are the customer's own "my postcode is".
        planned.append(fit_answer(span.start, span.end, activity[channel], FRAME_S, kind.startswith("open_"),
                                  follow=channel is not None, back=kind.endswith("answer")))
    return planned


def speech_frames(samples: np.ndarray, rate: int, channel: int | None) -> np.ndarray:
    """One flag per `crosstalk.FRAME_S` frame: the channel's own speaker is talking (all channels mixed for None)."""
    from qa_pipeline.speech.speech_activity import own_speech_frames

    if channel is None or samples.shape[1] < 2:
        return own_speech_frames(samples.astype(np.float64).mean(axis=1), None, rate)
    other = samples[:, 1 - channel] if samples.shape[1] == 2 else None
    return own_speech_frames(samples[:, channel], other, rate)


def fit_answer(start: float, end: float, active: np.ndarray, frame_s: float, open_window: bool,
               follow: bool = True, back: bool = True) -> tuple[float, float]:
    """The answer window [start, end] seconds fitted to the speech flags `active` (see `plan_spans`);
    `follow`: grow it over speech that crosses its end (and its start, with `back`)."""
    first, last = int(start / frame_s), int(np.ceil(end / frame_s))
    if open_window:
        inside = np.flatnonzero(active[first:last])
        if inside.size:
            last = first + int(inside[-1]) + 1
    if not follow:
        return first * frame_s, last * frame_s
    begin = _run_end(active, first, -1, frame_s) if back else first
    return begin * frame_s, _run_end(active, last, +1, frame_s) * frame_s


def _run_end(active: np.ndarray, at: int, step: int, frame_s: float) -> int:
    """The frame edge where speech touching frame edge `at` stops, going `step` (-1 back, +1 on)."""
    gap, most = int(REPLY_GAP_S / frame_s), int(EXTEND_S / frame_s)
    edge, quiet = at, 0
    for k in range(1, most + 1):
        frame = at + (k - 1) * step if step > 0 else at - k
        if not 0 <= frame < len(active) or quiet > gap:
            break
        if active[frame]:
            edge, quiet = (frame + 1 if step > 0 else frame), 0
        else:
            quiet += 1
    return edge


def _pcm(data: np.ndarray, wide: bool) -> np.ndarray:
    """Decoded float samples (frames, channels) as the integer PCM the FLAC is written in.

    The inverse of soundfile's int -> float (k / 2**15, k / 2**31), so PCM sources are copied
    sample for sample."""
    dtype = np.int32 if wide else np.int16
    info = np.iinfo(dtype)
    out = np.empty(data.shape, dtype=dtype)
    # A block at a time: a float64 copy of a whole 2-hour call would be about 1 GB.
    for start in range(0, len(data), _PCM_BLOCK):
        block = data[start:start + _PCM_BLOCK].astype(np.float64) * -float(info.min)
        out[start:start + _PCM_BLOCK] = np.clip(np.round(block), info.min, info.max)
    return out


_PCM_BLOCK = 1 << 20  # frames converted at once (8 MB of float64 per channel)


def _wide(subtype: str) -> bool:
    return subtype in ("PCM_24", "PCM_32", "FLOAT", "DOUBLE")
