"""Hand-written transcripts for the scoring tests, spoken the way Whisper writes them."""

from __future__ import annotations

from functools import lru_cache

from qa_pipeline.records import AGENT, CUSTOMER, UNKNOWN, CallMetadata, CriterionResult, DialogueAct, Transcript, Utterance
from qa_pipeline.rubric import Rubric, load_rubric

SECONDS_PER_WORD = 0.35
PAUSE_S = 0.4
SPEAKERS = {"A": AGENT, "C": CUSTOMER, "?": UNKNOWN}


def dialogue(*lines: str, roles_known: bool = True) -> Transcript:
    """A transcript from lines like "A: my name is anna" / "C: hi", timed one after another.

    Each word takes SECONDS_PER_WORD and turns are PAUSE_S apart, so nobody overlaps.
    """
    utterances, t = [], 0.5
    for line in lines:
        who, text = line.split(":", 1)
        text = text.strip()
        end = t + SECONDS_PER_WORD * len(text.split())
        speaker = SPEAKERS[who.strip()] if roles_known else UNKNOWN
        utterances.append(Utterance(speaker, round(t, 2), round(end, 2), text))
        t = end + PAUSE_S
    return Transcript(tuple(utterances), duration_s=t + 1.0, channels=2 if roles_known else 1,
                      roles_known=roles_known, asr_model="tiny.en")


def timed(*rows: tuple[str, float, float, str]) -> Transcript:
    """A transcript from (speaker letter, start, end, text) rows, for timing tests."""
    utterances = tuple(Utterance(SPEAKERS[s], a, b, text) for s, a, b, text in rows)
    return Transcript(utterances, duration_s=max(b for _, _, b, _ in rows) + 1.0, channels=2, asr_model="tiny.en")


@lru_cache(maxsize=1)
def etiquette() -> Rubric:
    return load_rubric("etiquette")


def judge(criterion_id: str, transcript: Transcript, metadata: CallMetadata | None = None,
          acts: tuple[DialogueAct | None, ...] | None = None, rubric: Rubric | None = None) -> CriterionResult:
    """One criterion's result on `transcript`, as `score_transcript` would give it."""
    from qa_pipeline import nlp
    from qa_pipeline.criteria import CallContext
    from qa_pipeline.scoring import evaluate_criterion

    rubric = rubric or etiquette()
    ctx = CallContext(transcript, metadata or CallMetadata("T"), nlp.parse(u.text for u in transcript.utterances))
    return evaluate_criterion(ctx, rubric.criterion(criterion_id), acts)
