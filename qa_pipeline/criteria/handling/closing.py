"""Closing criteria: next_step_agreed.v1, thanked_for_call.v1 and offered_further_help.v1."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from qa_pipeline import nlp
from qa_pipeline.criteria.common import agent_never_speaks, closing_indices, evidence, seconds, time_of
from qa_pipeline.criteria.context import CallContext
from qa_pipeline.criteria.registry import Outcome, register_criterion
from qa_pipeline.records import FAIL, PASS


def _latest_in_closing(ctx: CallContext, window_s: float, find: Callable[[int], Any]):
    """(indices of the agent's utterances in their last `window_s` of speech, (index, what
    `find` returned) for the latest of them where `find(index)` is not None, else None)."""
    closing = closing_indices(ctx, window_s)
    return closing, next(((i, hit) for i in reversed(closing) if (hit := find(i)) is not None), None)


@dataclass(frozen=True)
class NextStepParams:
    """A next step is a sentence of the agent's last `window_s` of speech holding one of
    `step_phrases` and a time: one of `time_phrases`, an entity labelled one of
    `time_entities`, or a number after one of `time_prepositions` ("at 3", "by 10:30").
    `vague_phrases` ("we'll be in touch") are named in the detail when no step is found."""

    step_phrases: tuple[str, ...]
    time_phrases: tuple[str, ...]
    window_s: float = 60.0
    time_entities: tuple[str, ...] = ("TIME",)
    time_prepositions: tuple[str, ...] = ("at", "by", "around", "before", "after", "between", "until")
    vague_phrases: tuple[str, ...] = ()


def time_said(sent, params: NextStepParams) -> str | None:
    """The time expression in `sent` (a spaCy span), or None."""
    spans = nlp.find_phrases(sent, params.time_phrases)
    if spans:
        return spans[0].text
    entity = next((e for e in sent.ents if e.label_ in params.time_entities), None)
    if entity is not None:
        return entity.text
    for tok in sent[:-1]:
        nxt = tok.nbor()
        if tok.lower_ in params.time_prepositions and (":" in nxt.text or (nxt.like_num and _hour(nxt.text))):
            return f"{tok.text} {nxt.text}"
    return None


def _hour(text: str) -> bool:
    return text.isdigit() and 1 <= int(text) <= 24


def _step_at_time(doc, params: NextStepParams) -> tuple[str, str] | None:
    """(the step phrase, the time) of the first sentence of `doc` naming a next step at a time, or None."""
    for sent in doc.sents:
        steps = nlp.find_phrases(sent, params.step_phrases)
        when = time_said(sent, params) if steps else None
        if when:
            return steps[0].text, when
    return None


@register_criterion("next_step_agreed.v1", params=NextStepParams, needs_roles=True)
def next_step_agreed(ctx: CallContext, params: NextStepParams) -> Outcome:
    """Pass when the agent's closing names a concrete next step at a time (visit, appointment, delivery, callback)."""
    closing, hit = _latest_in_closing(ctx, params.window_s, lambda i: _step_at_time(ctx.docs[i], params))
    if not closing:
        return agent_never_speaks(ctx)
    if hit:
        i, (step, when) = hit
        detail = ctx._("agent agreed '{step}' at a time ('{when}') at {time}").format(
            step=step, when=when, time=seconds(time_of(ctx.utterances[i], step)))
        return Outcome(PASS, 0.8, evidence(ctx, i), detail)
    vague = [(i, s) for i in closing for s in nlp.find_phrases(ctx.docs[i], params.vague_phrases)]
    if vague:
        i, span = vague[-1]
        detail = ctx._("only a vague next step ('{said}'), no time agreed").format(said=span.text)
        return Outcome(FAIL, 0.8, evidence(ctx, i), detail)
    detail = ctx._("no next step with a time in the agent's last {window} s of speech").format(window=f"{params.window_s:g}")
    return Outcome(FAIL, 0.75, evidence(ctx, closing[-1]), detail)


@dataclass(frozen=True)
class ThanksParams:
    """Thanks for the call or the order (`phrases`, "*" is any one word) in the agent's last
    `window_s` of speech. A bare "thanks" at goodbye is not thanks for the call."""

    phrases: tuple[str, ...]
    window_s: float = 30.0
    # On an outbound call the customer did not call: the agent thanks them for their time.
    outbound_phrases: tuple[str, ...] = ()


@register_criterion("thanked_for_call.v1", params=ThanksParams, needs_roles=True)
def thanked_for_call(ctx: CallContext, params: ThanksParams) -> Outcome:
    """Pass when the agent thanks the caller for calling, or for the order (on an outbound
    call, for their time), near the end."""
    phrases = params.phrases + (params.outbound_phrases if ctx.outbound else ())
    closing, hit = _latest_in_closing(ctx, params.window_s,
                                      lambda i: (nlp.find_phrases(ctx.docs[i], phrases) or [None])[-1])
    if not closing:
        return agent_never_speaks(ctx)
    if hit:
        i, span = hit
        at = seconds(time_of(ctx.utterances[i], span.text))
        detail = ctx._("agent said '{said}' at {time}").format(said=span.text, time=at)
        return Outcome(PASS, 0.85, evidence(ctx, i), detail)
    missing = (ctx._("no thanks for their time (an outbound call) in the agent's last {window} s of speech") if ctx.outbound
               else ctx._("no thanks for the call or the order in the agent's last {window} s of speech"))
    detail = missing.format(window=f"{params.window_s:g}")
    return Outcome(FAIL, 0.8, evidence(ctx, closing[-1]), detail)


@dataclass(frozen=True)
class FurtherHelpParams:
    """An offer of more help in the agent's last `window_s` of speech. `offer_phrases`
    ("anything else I can help with") count wherever they stand: Whisper often drops the
    question mark or runs the offer into the previous sentence. The bare `phrases`
    ("anything else") count inside a question, within `max_lead_words` of a sentence's start
    ("Anything else?"), or ending a sentence with none of `conditional_words` ("..., anything
    else."), so that "if you need anything else, call us" does not count."""

    phrases: tuple[str, ...]
    offer_phrases: tuple[str, ...] = ()
    window_s: float = 60.0
    max_lead_words: int = 2
    conditional_words: tuple[str, ...] = ("if", "when", "whenever", "should")


def further_help_offer(doc, params: FurtherHelpParams) -> tuple[str, str] | None:
    """(the phrase, its sentence) where `doc` offers more help, or None."""
    questions = nlp.question_sentences(doc)
    for sent in doc.sents:
        strong = nlp.find_phrases(sent, params.offer_phrases)
        if strong:
            return strong[0].text, sent.text.strip()
        for span in nlp.find_phrases(sent, params.phrases):
            asked = any(q.start <= span.start < q.end for q in questions)
            if asked or span.start - sent.start <= params.max_lead_words or _tag_offer(sent, span, params):
                return span.text, sent.text.strip()
    return None


def _tag_offer(sent, span, params: FurtherHelpParams) -> bool:
    """"..., anything else." ends the sentence, with no "if" making it a condition."""
    ends = all(t.is_punct for t in sent.doc[span.end : sent.end])
    return ends and not any(t.lower_ in params.conditional_words for t in sent.doc[sent.start : span.start])


@register_criterion("offered_further_help.v1", params=FurtherHelpParams, needs_roles=True)
def offered_further_help(ctx: CallContext, params: FurtherHelpParams) -> Outcome:
    """Pass when the agent asks whether there is anything else before closing."""
    closing, hit = _latest_in_closing(ctx, params.window_s, lambda i: further_help_offer(ctx.docs[i], params))
    if not closing:
        return agent_never_speaks(ctx)
    if hit:
        i, (phrase, sentence) = hit
        at = seconds(time_of(ctx.utterances[i], phrase))
        detail = ctx._("agent asked '{sentence}' at {time}").format(sentence=sentence, time=at)
        return Outcome(PASS, 0.85, evidence(ctx, i), detail)
    detail = ctx._("agent did not ask whether there is anything else in their last {window} s of speech").format(
        window=f"{params.window_s:g}")
    return Outcome(FAIL, 0.8, evidence(ctx, closing[-1]), detail)
