"""no_interrupting.v1: the agent never talks over the customer."""

from __future__ import annotations

from dataclasses import dataclass

from qa_pipeline.criteria.common import evidence, not_applicable, seconds
from qa_pipeline.criteria.context import CallContext
from qa_pipeline.criteria.i18n import N_
from qa_pipeline.criteria.registry import Outcome, register_criterion
from qa_pipeline.records import FAIL, PASS
from qa_pipeline.timing import BackchannelRule, find_interruptions

# Why a diarized mono mix is not scored (figures: docs/scorecard.md, "Roles").
MONO_OVERLAP_REASON = N_("mono mix: the diarizer gives one speaker per moment and does not mark overlapped "
                          "speech, so talking over the customer cannot be measured")


@dataclass(frozen=True)
class InterruptingParams:
    """An agent start inside customer speech that overlaps it by `min_overlap_s` or more.

    Utterances made only of `backchannels` words, at most `backchannel_max_words`
    long and `backchannel_max_s` seconds, are feedback, not interruptions.
    """

    backchannels: tuple[str, ...]
    min_overlap_s: float = 0.5
    backchannel_max_words: int = 3
    backchannel_max_s: float = 1.5


def backchannel_rule(params: InterruptingParams) -> BackchannelRule:
    words = frozenset(w for phrase in params.backchannels for w in phrase.lower().replace("-", "").split())
    return BackchannelRule(words, params.backchannel_max_words, params.backchannel_max_s)


@register_criterion("no_interrupting.v1", params=InterruptingParams, needs_roles=True)
def no_interrupting(ctx: CallContext, params: InterruptingParams) -> Outcome:
    """Pass when the agent never starts talking over the customer."""
    roles = ctx.transcript.roles
    if roles is not None and roles.source == "diarization":
        return not_applicable(ctx._(MONO_OVERLAP_REASON))
    found = find_interruptions(ctx.transcript, params.min_overlap_s, backchannel_rule(params))
    if not found:
        detail = ctx._("no agent overlap with customer speech above {overlap} s").format(overlap=f"{params.min_overlap_s:g}")
        return Outcome(PASS, 0.85, (), detail)
    times = ", ".join(ctx._("{time} ({overlap} s over)").format(time=seconds(x.start), overlap=f"{x.overlap_s:.1f}")
                      for x in found)
    indices = [k for x in found for k in (x.customer_index, x.agent_index)]
    detail = ctx.ngettext("agent interrupted the customer {n} time: at {times}",
                          "agent interrupted the customer {n} times: at {times}", len(found)).format(n=len(found), times=times)
    confidence = min(0.95, 0.7 + 0.25 * max(x.overlap_s for x in found))
    return Outcome(FAIL, confidence, evidence(ctx, *indices), detail)
