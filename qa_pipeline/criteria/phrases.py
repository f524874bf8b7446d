"""Phrase criteria: no_im_listening.v1 (a forbidden phrase) and said_goodbye.v1 (a closing).

Both count a phrase only where the agent performs it (`qa_pipeline.phrases.find_acts`):
"we never say I'm listening here" is no violation, "please don't say goodbye yet" no closing.
"""

from __future__ import annotations

from dataclasses import dataclass

from qa_pipeline import nlp
from qa_pipeline.criteria.common import agent_never_speaks, closing_indices, evidence, seconds, time_of
from qa_pipeline.criteria.context import OVERRIDE_AT, CallContext, combine
from qa_pipeline.criteria.registry import Outcome, register_criterion
from qa_pipeline.records import FAIL, PASS

FAREWELL_ACTS = frozenset({"farewell"})


@dataclass(frozen=True)
class ImListeningParams:
    """`allowed_continuations` clear a hit followed by them ("I'm listening to your message")."""

    phrases: tuple[str, ...]
    allowed_continuations: tuple[str, ...] = ()


@register_criterion("no_im_listening.v1", params=ImListeningParams, needs_roles=False)
def no_im_listening(ctx: CallContext, params: ImListeningParams) -> Outcome:
    """Pass when the agent never says "I'm listening" or a variant.

    Without speaker roles every utterance is checked: callers hardly ever say it.
    """
    mentioned = []
    for i in ctx.agent_indices():
        doc = ctx.docs[i]
        for span in nlp.find_phrases(doc, params.phrases):
            if _continues_allowed(doc, span.end, params.allowed_continuations):
                continue
            utterance = ctx.utterances[i]
            why = nlp.not_performed(span)
            if why:
                mentioned.append(_not_performed(ctx, span.text, why, time_of(utterance, span.text)))
                continue
            said = (ctx._("agent said '{said}' at {time}") if ctx.transcript.roles_known
                    else ctx._("a speaker said '{said}' at {time}"))
            detail = said.format(said=span.text, time=seconds(time_of(utterance, span.text)))
            return Outcome(FAIL, 0.9, evidence(ctx, i), detail)
    detail = ctx._("no 'I'm listening' or variant heard") + (
        ctx._(" (not said as such: {phrases})").format(phrases=", ".join(mentioned)) if mentioned else "")
    return Outcome(PASS, 0.85, (), detail)


def _continues_allowed(doc, end: int, continuations: tuple[str, ...]) -> bool:
    rest = " ".join(t.lower_ for t in doc[end : end + 4] if not t.is_punct)
    return any(rest == c or rest.startswith(c + " ") for c in continuations)


@dataclass(frozen=True)
class GoodbyeParams:
    """With classifiers on, a `farewell` act at least `classifier_adds_at` sure in the closing
    window rescues a phrase-list miss; it vetoes a phrase hit only if `classifier_vetoes`."""

    phrases: tuple[str, ...]
    window_s: float = 30.0
    classifier_adds_at: float = OVERRIDE_AT
    classifier_vetoes: bool = False


@register_criterion("said_goodbye.v1", params=GoodbyeParams, needs_roles=True)
def said_goodbye(ctx: CallContext, params: GoodbyeParams) -> Outcome:
    """Pass when the agent closes politely in the last `window_s` of their speech."""
    closing = closing_indices(ctx, params.window_s)
    if not closing:
        return agent_never_speaks(ctx)
    for i in reversed(closing):
        spans = nlp.find_acts(ctx.docs[i], params.phrases)
        decision = combine(bool(spans), ctx.act(i), FAREWELL_ACTS, params.classifier_adds_at,
                           OVERRIDE_AT if params.classifier_vetoes else None)
        if decision.is_act:
            utterance = ctx.utterances[i]
            said = spans[-1].text if spans else ctx._("a farewell (classifier)")
            at = time_of(utterance, spans[-1].text) if spans else utterance.start
            detail = ctx._("agent said '{said}' at {time}").format(said=said, time=seconds(at))
            return Outcome(PASS, decision.confidence, evidence(ctx, i), detail)
    detail = (ctx._("no goodbye in the agent's last {window} s of speech").format(window=f"{params.window_s:g}")
              + _not_said(ctx, closing, params.phrases))
    return Outcome(FAIL, 0.8, evidence(ctx, closing[-1]), detail)


def _not_said(ctx: CallContext, indices: tuple[int, ...], phrases: tuple[str, ...]) -> str:
    """A detail suffix naming closing phrases that were negated or quoted, not said."""
    found = [_not_performed(ctx, span.text, why, time_of(ctx.utterances[i], span.text))
             for i in indices for span in nlp.find_phrases(ctx.docs[i], phrases)
             if (why := nlp.not_performed(span))]
    return f" ({', '.join(found)})" if found else ""


def _not_performed(ctx: CallContext, said: str, why: str, at: float) -> str:
    """"'goodbye' negated at 3.0 s": a phrase heard but not performed, and why (`nlp.not_performed`)."""
    return ctx._("'{said}' {why} at {time}").format(said=said, why=ctx._(why), time=seconds(at))
