"""no_forbidden_phrases.v1: none of the guides' wrong phrasings; the detail gives the right one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from qa_pipeline import nlp
from qa_pipeline.criteria.common import evidence, seconds, time_of
from qa_pipeline.criteria.context import CallContext
from qa_pipeline.criteria.registry import Outcome, register_criterion
from qa_pipeline.records import FAIL, PASS
from qa_pipeline.timing import spoken_words


@dataclass(frozen=True)
class WordingParams:
    """`wrong_phrasings` maps each right phrasing to the wrong phrases it replaces ("*" is
    any one word). A hit followed by one of `allowed_continuations` is not wrong ("I don't
    know if you've seen our offer"). An opening agent utterance made only of
    `bare_opening_words` ("Hello?", "Yes?", "Speaking") is wrong too; `bare_opening_right`
    is what to say instead.
    """

    wrong_phrasings: Mapping[str, tuple[str, ...]]
    bare_opening_words: tuple[str, ...] = ()
    bare_opening_right: str = ""
    allowed_continuations: tuple[str, ...] = ()


@dataclass(frozen=True)
class Wrong:
    index: int
    said: str
    right: str


def bare_opening(ctx: CallContext, params: WordingParams) -> Wrong | None:
    """The agent's first utterance when it is only a bare "Hello?" / "Yes?" / "Speaking",
    on an inbound call: it is how not to answer the phone, and on an outbound call the
    customer answers."""
    agent = ctx.agent_indices()
    if not agent or not params.bare_opening_words or ctx.outbound:
        return None
    words = spoken_words(ctx.utterances[agent[0]].text)
    if words and all(w in params.bare_opening_words for w in words):
        return Wrong(agent[0], ctx.utterances[agent[0]].text.strip(), params.bare_opening_right)
    return None


def wrong_phrasings(ctx: CallContext, params: WordingParams) -> list[Wrong]:
    """Every wrong phrasing the agent uses, in order, with its right replacement."""
    found = [hit] if (hit := bare_opening(ctx, params)) else []
    for i in ctx.agent_indices():
        doc = ctx.docs[i]
        for right, phrases in params.wrong_phrasings.items():
            for span in nlp.find_phrases(doc, tuple(phrases)):
                if not _allowed(doc, span.end, params.allowed_continuations):
                    found.append(Wrong(i, span.text, right))
    return sorted(found, key=lambda w: (w.index, ctx.utterances[w.index].text.lower().find(w.said.lower())))


def _allowed(doc, end: int, continuations: tuple[str, ...]) -> bool:
    rest = " ".join(t.lower_ for t in doc[end : end + 4] if not t.is_punct)
    return any(rest == c or rest.startswith(c + " ") for c in continuations)


@register_criterion("no_forbidden_phrases.v1", params=WordingParams, needs_roles=True)
def no_forbidden_phrases(ctx: CallContext, params: WordingParams) -> Outcome:
    """Pass when the agent uses none of the wrong phrasings; the detail names the right phrasing."""
    agent = ctx.agent_indices()
    found = wrong_phrasings(ctx, params)
    if not found:
        detail = ctx._("no wrong phrasing in the agent's {n} utterance(s)").format(n=len(agent))
        return Outcome(PASS, 0.8, evidence(ctx, *agent[:1]), detail)
    first = found[0]
    at = seconds(time_of(ctx.utterances[first.index], first.said))
    detail = ctx._("agent said '{said}' at {time}; say instead: \"{right}\"").format(said=first.said, time=at, right=first.right)
    if len(found) > 1:
        more = ", ".join(ctx._("'{said}'").format(said=w.said) for w in found[1:4])
        detail += ctx._(" (+{n} more: {phrases})").format(n=len(found) - 1, phrases=more)
    return Outcome(FAIL, 0.85, evidence(ctx, *dict.fromkeys(w.index for w in found)), detail)
