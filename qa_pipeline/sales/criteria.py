"""The sales rubric's own criteria: purpose_stated_early.v1, decision_maker_checked.v1 and
follow_up_specific.v1. The rubric loads this module as a plugin (``plugins:`` in
rubrics/sales.yaml); phrases and windows are its parameters.

Sources (docs/sales.md): the Korean telesales playbook (state the purpose in the first 5-6
seconds; make sure the decision maker is on the line) and the Japanese article on
follow-up calls (the wrong follow-up asks "how is it going, any questions?"; the right one
recalls what was agreed last time and asks a concrete question about the customer's schedule).
"""

from __future__ import annotations

from dataclasses import dataclass

from qa_pipeline import nlp
from qa_pipeline.criteria.common import evidence, not_applicable, seconds, time_of
from qa_pipeline.criteria.context import CallContext
from qa_pipeline.criteria.i18n import N_
from qa_pipeline.criteria.registry import Outcome, register_criterion
from qa_pipeline.records import AGENT, FAIL, PASS
from qa_pipeline.sales.cues import agent_speech_offsets, follow_up_index

INBOUND_REASON = N_("an inbound call: the customer called, so the agent states no purpose of a sales call")


@dataclass(frozen=True)
class PurposeParams:
    """The purpose must be said within `window_s` seconds of the agent's own speech
    (the playbook's 5-6 s; see docs/sales.md)."""

    phrases: tuple[str, ...]
    window_s: float = 6.0


@register_criterion("purpose_stated_early.v1", params=PurposeParams, needs_roles=True)
def purpose_stated_early(ctx: CallContext, params: PurposeParams) -> Outcome:
    """Pass when an outbound agent says why they call within `window_s` of their own speech."""
    if not ctx.outbound:
        return not_applicable(ctx._(INBOUND_REASON))
    agent = ctx.agent_indices()
    offsets = agent_speech_offsets(ctx.utterances, agent)
    for i in agent:
        spans = nlp.find_phrases(ctx.docs[i], params.phrases)
        if not spans:
            continue
        u = ctx.utterances[i]
        at = offsets[i] + time_of(u, spans[0].text) - u.start
        verdict = PASS if at <= params.window_s else FAIL
        said = (ctx._("agent said '{said}' {time} into their speech (within {window} s)") if verdict == PASS
                else ctx._("agent said '{said}' {time} into their speech (after {window} s)"))
        detail = said.format(said=spans[0].text, time=seconds(at), window=f"{params.window_s:g}")
        return Outcome(verdict, 0.8, evidence(ctx, i), detail)
    first = agent[:1]
    return Outcome(FAIL, 0.75, evidence(ctx, *first), ctx._("the agent never says why they are calling"))


@dataclass(frozen=True)
class DecisionMakerParams:
    """The agent asks for or checks the person who decides (`agent_phrases`) within
    `window_s` of their own speech; a customer who says they decide (`customer_phrases`)
    before the agent asks spares the question."""

    agent_phrases: tuple[str, ...]
    customer_phrases: tuple[str, ...] = ()
    window_s: float = 60.0


@register_criterion("decision_maker_checked.v1", params=DecisionMakerParams, needs_roles=True)
def decision_maker_checked(ctx: CallContext, params: DecisionMakerParams) -> Outcome:
    """Pass when an outbound agent checks early that the person who decides is on the line."""
    if not ctx.outbound:
        return not_applicable(ctx._(INBOUND_REASON))
    agent = ctx.agent_indices()
    offsets = agent_speech_offsets(ctx.utterances, agent)
    for i, u in enumerate(ctx.utterances):
        if u.speaker == AGENT and offsets.get(i, 0.0) > params.window_s:
            break
        phrases = params.agent_phrases if u.speaker == AGENT else params.customer_phrases
        spans = nlp.find_phrases(ctx.docs[i], phrases)
        if spans:
            said = (ctx._("agent checked '{said}' at {time}") if u.speaker == AGENT
                    else ctx._("customer said they decide: '{said}' at {time}"))
            return Outcome(PASS, 0.8, evidence(ctx, i), said.format(said=spans[0].text, time=seconds(time_of(u, spans[0].text))))
    detail = ctx._("the agent did not check who decides in their first {window} s of speech").format(
        window=f"{params.window_s:g}")
    return Outcome(FAIL, 0.75, evidence(ctx, *agent[:1]), detail)


@dataclass(frozen=True)
class FollowUpParams:
    """A follow-up call (`follow_up_phrases` within `follow_up_window_s` of the agent's speech)
    passes when the agent recalls what was agreed (`reference_phrases`) and asks about a
    concrete step on the customer's schedule: a question holding one of `schedule_phrases`
    or a date. `vague_phrases` ("how is it going", "any questions") are named on a fail."""

    follow_up_phrases: tuple[str, ...]
    reference_phrases: tuple[str, ...]
    schedule_phrases: tuple[str, ...]
    vague_phrases: tuple[str, ...] = ()
    follow_up_window_s: float = 30.0


@register_criterion("follow_up_specific.v1", params=FollowUpParams, needs_roles=True)
def follow_up_specific(ctx: CallContext, params: FollowUpParams) -> Outcome:
    """Pass when a follow-up call recalls the agreed step and asks a concrete schedule question."""
    start = follow_up_index(ctx.utterances, ctx.docs, params.follow_up_phrases, params.follow_up_window_s)
    if start is None:
        return not_applicable(ctx._("not a follow-up call: the agent does not refer to an earlier contact"))
    agent = [i for i in ctx.agent_indices() if i >= start]
    reference = next((i for i in agent if nlp.find_phrases(ctx.docs[i], params.reference_phrases)), None)
    question = next((i for i in agent for q in nlp.question_sentences(ctx.docs[i])
                     if nlp.find_phrases(q, params.schedule_phrases) or any(e.label_ == "DATE" for e in q.ents)), None)
    if reference is not None and question is not None:
        detail = ctx._("agent recalled what was agreed and asked a concrete question about the customer's schedule")
        return Outcome(PASS, 0.8, evidence(ctx, *sorted({reference, question})), detail)
    vague = [(i, s.text) for i in agent for s in nlp.find_phrases(ctx.docs[i], params.vague_phrases)]
    missing = [ctx._(what) for what, found in ((N_("no reference to what was agreed last time"), reference),
                                               (N_("no concrete question about the customer's schedule"), question))
               if found is None]
    detail = "; ".join(missing) + (ctx._("; asked vaguely: '{said}'").format(said=vague[0][1]) if vague else "")
    return Outcome(FAIL, 0.8, evidence(ctx, *([vague[0][0]] if vague else [start])), detail)
