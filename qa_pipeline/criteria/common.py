"""Helpers the built-in criteria share: time windows, evidence and word timing."""

from __future__ import annotations

from qa_pipeline.criteria.context import CallContext
from qa_pipeline.criteria.registry import Outcome
from qa_pipeline.records import FAIL, NOT_APPLICABLE, Evidence, Utterance


def opening_indices(ctx: CallContext, window_s: float) -> tuple[int, ...]:
    """Agent utterances that start within `window_s` of the agent's first words."""
    agent = ctx.agent_indices()
    if not agent:
        return ()
    first = ctx.utterances[agent[0]].start
    return tuple(i for i in agent if ctx.utterances[i].start <= first + window_s)


def closing_indices(ctx: CallContext, window_s: float) -> tuple[int, ...]:
    """Agent utterances that end within `window_s` of the agent's last words.

    The agent's first utterance is the opening, not the closing, unless it is the only
    one: "thank you for calling" greets in a short call as well as closing a long one.
    """
    agent = ctx.agent_indices()
    if not agent:
        return ()
    last = max(ctx.utterances[i].end for i in agent)
    closing = tuple(i for i in agent if ctx.utterances[i].end >= last - window_s)
    return closing[1:] if len(agent) > 1 and closing[0] == agent[0] else closing


# Words after a name that tie it to the company the speaker speaks for: "this is Mike from HP".
_FOR_COMPANY = ("from", "with", "at", "calling")


def own_names(doc, mentions: list) -> list:
    """The name mentions of one utterance that are the speaker's own: those tied to a company
    ("Hi, this is Dennis. This is Mike from Northline", Whisper's "is this Dennis?") when
    there are such, else all."""
    tied = [m for m in mentions if doc.text[m.end_char:].lstrip(" ,").lower().startswith(_FOR_COMPANY)]
    return tied or mentions


def evidence(ctx: CallContext, *indices: int) -> tuple[Evidence, ...]:
    return tuple(Evidence.of(ctx.utterances[i]) for i in indices)


def time_of(utterance: Utterance, text: str) -> float:
    """When `text` is said within `utterance`: the timing of the word it starts at.

    Where the text is not one word per space (Japanese, written without spaces), each word
    is found in turn in the text. Without word timings, interpolate by its character position.
    """
    char = utterance.text.lower().find(text.lower())
    if char < 0 or not utterance.text:
        return utterance.start
    if utterance.words and len(utterance.text.split()) == len(utterance.words):
        n = len(utterance.text[:char].split())
        return utterance.words[min(n, len(utterance.words) - 1)].start
    if utterance.words:
        return _word_at(utterance, char).start
    return utterance.start + char / len(utterance.text) * utterance.duration


def _word_at(utterance: Utterance, char: int):
    """The word of `utterance` whose text covers character `char` of the utterance's text."""
    lower, pos, found = utterance.text.lower(), 0, utterance.words[0]
    for word in utterance.words:
        spelled = word.text.strip().lower()
        at = lower.find(spelled, pos) if spelled else -1
        if at < 0:
            continue
        if at > char:
            break
        found, pos = word, at + len(spelled)
    return found


def agent_never_speaks(ctx: CallContext) -> Outcome:
    """The fail of a criterion that looks for something the agent says, in a call where the agent says nothing."""
    return Outcome(FAIL, 0.9, (), ctx._("the agent never speaks"))


def not_applicable(reason: str) -> Outcome:
    return Outcome(NOT_APPLICABLE, 1.0, (), reason)


def seconds(t: float) -> str:
    return f"{t:.1f} s"
