"""Timing stage: interruptions and talk-time metrics, from utterance and word times."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa_pipeline.records import AGENT, CUSTOMER, CallMetrics, Transcript, Utterance

Interval = tuple[float, float]


@dataclass(frozen=True)
class BackchannelRule:
    """Short feedback ("mm-hmm", "right", "I see") that is not an interruption."""

    words: frozenset[str]
    max_words: int = 3
    max_s: float = 1.5

    def matches(self, utterance: Utterance) -> bool:
        words = spoken_words(utterance.text)
        return (
            0 < len(words) <= self.max_words
            and utterance.duration <= self.max_s
            and all(w in self.words for w in words)
        )


@dataclass(frozen=True)
class Interruption:
    """The agent started at `start` while the customer was speaking, for `overlap_s`."""

    agent_index: int
    customer_index: int
    start: float
    overlap_s: float


def spoken_words(text: str) -> list[str]:
    """Lower-case words without punctuation; "Mm-hmm." -> ["mmhmm"].

    Text in a script without spaces between words (Japanese) splits at its punctuation
    instead: "はい、なるほど。" -> ["はい", "なるほど"] (a backchannel list names such pieces whole).
    """
    return [w for t in text.split() for w in (_unspaced_words(t) if _unspaced(t) else [_letters(t)]) if w]


def _letters(token: str) -> str:
    """Lower-case a-z and apostrophes, and the letters of scripts above Latin (Cyrillic,
    Greek, Hangul): "Угу." -> "угу"."""
    return "".join(c for c in token.lower() if "a" <= c <= "z" or c == "'" or (ord(c) > 0x36F and c.isalpha()))


# Kana, kanji and their punctuation: scripts written without spaces between words.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")


def _unspaced(token: str) -> bool:
    return _UNSPACED.search(token) is not None


def _unspaced_words(token: str) -> list[str]:
    return [w.lower() for w in re.split(r"[^\w]+", token) if w]


def speech_intervals(utterance: Utterance, merge_gap_s: float = 0.3) -> list[Interval]:
    """When `utterance`'s speaker actually makes sound: its words merged over short gaps.

    Whisper segments can run on over pauses; word timings are tighter when we have them
    (on stereo calls the ASR stage fits them to each channel's own speech energy).
    """
    if not utterance.words:
        return [(utterance.start, utterance.end)]
    out: list[list[float]] = []
    for word in utterance.words:
        if out and word.start - out[-1][1] <= merge_gap_s:
            out[-1][1] = max(out[-1][1], word.end)
        else:
            out.append([word.start, word.end])
    return [(a, b) for a, b in out]


def find_interruptions(
    transcript: Transcript, min_overlap_s: float, backchannel: BackchannelRule
) -> tuple[Interruption, ...]:
    """Agent utterances that start inside the customer's speech and overlap it by `min_overlap_s` or more."""
    customer = [
        (i, span)
        for i, u in enumerate(transcript.utterances)
        if u.speaker == CUSTOMER
        for span in speech_intervals(u)
    ]
    found = []
    for i, agent in enumerate(transcript.utterances):
        if agent.speaker != AGENT or backchannel.matches(agent):
            continue
        spans = speech_intervals(agent)
        start, end = spans[0][0], spans[-1][1]
        for ci, (c_start, c_end) in customer:
            if c_start < start < c_end:
                overlap = min(end, c_end) - start
                if overlap >= min_overlap_s:
                    found.append(Interruption(i, ci, start, overlap))
                    break
    return tuple(found)


def union_length(intervals: list[Interval]) -> float:
    """Total time covered by possibly overlapping intervals."""
    total, reach = 0.0, float("-inf")
    for start, end in sorted(intervals):
        if end <= reach:
            continue
        total += end - max(start, reach)
        reach = end
    return total


def call_metrics(transcript: Transcript, interruptions: int = 0, agent_questions: int = 0) -> CallMetrics:
    """Talk time per role, silence and the agent's words per minute."""
    utterances = transcript.utterances
    agent = [u for u in utterances if u.speaker == AGENT]
    agent_talk = union_length([(u.start, u.end) for u in agent])
    customer_talk = union_length([(u.start, u.end) for u in utterances if u.speaker == CUSTOMER])
    speech = union_length([(u.start, u.end) for u in utterances])
    agent_words = sum(len(u.words) if u.words else len(spoken_words(u.text)) for u in agent)
    wpm = agent_words / (agent_talk / 60) if agent_talk > 0 else None
    return CallMetrics(
        interruptions=interruptions,
        agent_talk_s=agent_talk,
        customer_talk_s=customer_talk,
        silence_s=max(0.0, transcript.duration_s - speech),
        agent_wpm=wpm,
        agent_questions=agent_questions,
    )
