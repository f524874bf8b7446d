"""acknowledged_caller.v1: the agent gives feedback while the caller explains.

Feedback is a backchannel laid over a long customer turn ("uh-huh", "I see") or an
acknowledgement opening the agent's next turn ("Right, ...", "I understand, ...").
Giving no feedback is one of the guides' serious errors.
"""

from __future__ import annotations

from dataclasses import dataclass

from qa_pipeline import nlp
from qa_pipeline.criteria.common import evidence, not_applicable, seconds
from qa_pipeline.criteria.context import CallContext
from qa_pipeline.criteria.registry import Outcome, register_criterion
from qa_pipeline.records import CUSTOMER, FAIL, PASS
from qa_pipeline.timing import spoken_words


@dataclass(frozen=True)
class FeedbackParams:
    """A customer utterance of at least `min_turn_words` words is an explanation. It is
    acknowledged by an agent utterance inside it made only of `acknowledgements` words
    (at most `backchannel_max_words`), or by one of `acknowledgements` within the first
    `opening_words` words of the agent's next utterance. Pass when at least `min_share`
    of the explanations are acknowledged."""

    acknowledgements: tuple[str, ...]
    min_turn_words: int = 15
    opening_words: int = 3
    backchannel_max_words: int = 4
    min_share: float = 0.5
    # "words", or "characters" where the text has no spaces (Japanese): what `min_turn_words` counts.
    turn_unit: str = "words"

    def turn_length(self, text: str) -> int:
        if self.turn_unit == "characters":
            return sum(1 for c in text if c.isalnum())
        return len(spoken_words(text))


def _backchannel(ctx: CallContext, turn: int, params: FeedbackParams) -> int | None:
    words = frozenset(w for p in params.acknowledgements for w in spoken_words(p))
    c = ctx.utterances[turn]
    for i in ctx.agent_indices():
        u = ctx.utterances[i]
        said = spoken_words(u.text)
        if c.start < u.start < c.end and 0 < len(said) <= params.backchannel_max_words and set(said) <= words:
            return i
    return None


def _reply(ctx: CallContext, turn: int, params: FeedbackParams) -> int | None:
    """The agent's first utterance starting after the customer's turn starts (backchannels aside)."""
    c = ctx.utterances[turn]
    short = params.backchannel_max_words
    return next((i for i in ctx.agent_indices() if ctx.utterances[i].start > c.start
                 and not (ctx.utterances[i].end < c.end and len(spoken_words(ctx.utterances[i].text)) <= short)), None)


def _opens_with_acknowledgement(doc, params: FeedbackParams) -> bool:
    for span in nlp.find_phrases(doc, params.acknowledgements):
        if sum(not t.is_punct for t in doc[: span.start]) < params.opening_words:
            return True
    return False


def acknowledged(ctx: CallContext, turn: int, params: FeedbackParams) -> int | None:
    """The agent utterance acknowledging customer utterance `turn`, or None."""
    backchannel = _backchannel(ctx, turn, params)
    if backchannel is not None:
        return backchannel
    reply = _reply(ctx, turn, params)
    return reply if reply is not None and _opens_with_acknowledgement(ctx.docs[reply], params) else None


@register_criterion("acknowledged_caller.v1", params=FeedbackParams, needs_roles=True)
def acknowledged_caller(ctx: CallContext, params: FeedbackParams) -> Outcome:
    """Pass when the agent acknowledges at least `min_share` of the caller's longer turns."""
    turns = [i for i, u in enumerate(ctx.utterances)
             if u.speaker == CUSTOMER and params.turn_length(u.text) >= params.min_turn_words]
    if not turns:
        never = (ctx._("the caller never spoke {n} characters or more in one turn") if params.turn_unit == "characters"
                 else ctx._("the caller never spoke {n} words or more in one turn"))
        return not_applicable(never.format(n=params.min_turn_words))
    acks = {t: acknowledged(ctx, t, params) for t in turns}
    done = [a for a in acks.values() if a is not None]
    missed = [t for t, a in acks.items() if a is None]
    share = len(done) / len(turns)
    detail = ctx._("agent acknowledged {done} of {turns} longer caller turns (needs {share})").format(
        done=len(done), turns=len(turns), share=f"{params.min_share:.0%}")
    if missed:
        times = ", ".join(seconds(ctx.utterances[t].start) for t in missed[:4])
        detail += ctx._("; none after the turn at {times}").format(times=times)
    if share >= params.min_share:
        return Outcome(PASS, 0.75, evidence(ctx, *done[:4]), detail)
    cited = [k for t in missed[:3] for k in (t, _reply(ctx, t, params)) if k is not None]
    return Outcome(FAIL, 0.75, evidence(ctx, *dict.fromkeys(cited)), detail)
