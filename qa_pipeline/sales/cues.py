"""What the sales stage and the sales criteria both read: the agent's own speaking time, and
whether the call follows up an earlier contact."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qa_pipeline import nlp
from qa_pipeline.records import AGENT, Utterance


def agent_speech_offsets(utterances: Sequence[Utterance], agent: Sequence[int]) -> dict[int, float]:
    """Agent utterance index -> seconds the agent had spoken before it (their own speech only:
    the customer's replies and the pauses do not count)."""
    offsets, spoken = {}, 0.0
    for i in agent:
        offsets[i] = spoken
        spoken += max(0.0, utterances[i].duration)
    return offsets


def follow_up_index(utterances: Sequence[Utterance], docs: Sequence[Any], phrases: tuple[str, ...],
                    window_s: float, roles_known: bool = True) -> int | None:
    """The first agent utterance within `window_s` of the agent's speech that says the call
    follows up an earlier contact ("following up on", "when we spoke last week"), or None."""
    agent = [i for i, u in enumerate(utterances) if u.speaker == AGENT or not roles_known]
    offsets = agent_speech_offsets(utterances, agent)
    return next((i for i in agent if offsets[i] <= window_s and nlp.find_phrases(docs[i], phrases)), None)
