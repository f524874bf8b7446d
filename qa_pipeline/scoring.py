"""Score one transcript against a rubric: criteria verdicts, call metrics, the score."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from qa_pipeline import __version__, confidence, nlp
from qa_pipeline.criteria import CallContext, get_criterion
from qa_pipeline.criteria.common import not_applicable
from qa_pipeline.criteria.context import join_continued
from qa_pipeline.criteria.cutoff import find_cutoff
from qa_pipeline.criteria.i18n import N_, card_text
from qa_pipeline.criteria.interrupting import InterruptingParams, backchannel_rule
from qa_pipeline.profiling import stage
from qa_pipeline.records import (
    AGENT,
    CALL_END,
    CUSTOMER,
    NOT_APPLICABLE,
    PASS,
    CallMetadata,
    CallMetrics,
    CriterionResult,
    DialogueAct,
    Scorecard,
    Transcript,
)
from qa_pipeline.rubric import CriterionConfig, Rubric
from qa_pipeline.timing import BackchannelRule, call_metrics, find_interruptions

# How a criterion's need reads in a not_applicable detail.
_NEEDS = {AGENT: N_("the agent's words"), CUSTOMER: N_("the customer's words"), CALL_END: N_("the end of the call")}
# What scoring adds when roles are unknown; why they are unknown (a mono recording, two identical
# channels, a failed diarization) is the transcript's own warning (MONO_WARNING in records.py).
ROLES_UNKNOWN_WARNING = N_("speaker roles unknown: only criteria that need no roles were scored")


def score_transcript(
    transcript: Transcript,
    rubric: Rubric,
    metadata: CallMetadata,
    recording: str,
    dialogue_acts: Sequence[DialogueAct | None] | None = None,
) -> Scorecard:
    """The scorecard of one call.

    `dialogue_acts`, if given, align with `transcript.utterances`; they reach only the
    criteria whose rubric entry has ``use_classifier: true``. A recording that stops before
    the conversation does (`find_cutoff`) is warned about, and lacks the end of the call.
    Each verdict's confidence and review mark come from `confidence.assess`. The card's
    warnings are in the rubric's language (`criteria.i18n.card_text`); the transcript keeps
    the English ones the speech stage wrote.
    """
    transcript = with_cutoff(transcript)
    ctx, acts = criteria_context(transcript, metadata, dialogue_acts, rubric.language)
    results = tuple(evaluate_criterion(ctx, config, acts) for config in rubric.criteria)
    results = confidence.assess(ctx, rubric.criteria, results)
    warnings = transcript.warnings + (() if transcript.roles_known else (ROLES_UNKNOWN_WARNING,))
    warnings = tuple(card_text(w, rubric.language) for w in warnings)
    return Scorecard(
        call_id=metadata.call_id,
        recording=recording,
        agent_id=metadata.agent_id,
        call_time=metadata.call_time,
        duration_s=transcript.duration_s,
        channels=transcript.channels,
        rubric_id=rubric.id,
        rubric_version=rubric.version,
        rubric_sha256=rubric.sha256,
        score=score(results),
        criteria=results,
        metrics=_metrics(ctx, rubric, transcript),
        transcript=transcript,
        versions={"pipeline": __version__, "asr_model": transcript.asr_model, "rubric": rubric.label},
        warnings=warnings,
    )


def criteria_context(transcript: Transcript, metadata: CallMetadata,
                     dialogue_acts: Sequence[DialogueAct | None] | None = None, language: str = "en"
                     ) -> tuple[CallContext, tuple[DialogueAct | None, ...] | None]:
    """What the criteria read of `transcript` (parsed as `language`), and the dialogue acts aligned with it.

    The criteria read a sentence broken across two utterances as one; the card keeps the
    utterances as heard, and the timing metrics are measured on them. They read why the
    recording lacks a part (`Transcript.missing`) in `language`, for their detail lines.
    """
    if dialogue_acts is not None and len(dialogue_acts) != len(transcript.utterances):
        raise ValueError(f"{len(dialogue_acts)} dialogue acts for {len(transcript.utterances)} utterances")
    joined, groups = join_continued(transcript.utterances)
    with stage("nlp"):
        docs = nlp.parse((u.text for u in joined), language)
    missing = {need: card_text(reason, language) for need, reason in transcript.missing.items()}
    ctx = CallContext(dataclasses.replace(transcript, utterances=joined, missing=missing), metadata, docs,
                      language=language)
    return ctx, _joined_acts(dialogue_acts, groups) if dialogue_acts is not None else None


def with_cutoff(transcript: Transcript) -> Transcript:
    """`transcript` marked as lacking the end of the call, with a warning, when the recording is cut off."""
    cutoff = None if CALL_END in transcript.missing else find_cutoff(transcript)
    if cutoff is None:
        return transcript
    return dataclasses.replace(transcript, missing={**transcript.missing, CALL_END: cutoff.reason},
                               warnings=transcript.warnings + (cutoff.warning,))


def evaluate_criterion(
    ctx: CallContext, config: CriterionConfig, acts: tuple[DialogueAct | None, ...] | None = None
) -> CriterionResult:
    """One rubric entry's verdict on the call."""
    spec = get_criterion(config.impl)
    if spec is None:  # the rubric was validated against the registry when it loaded
        raise LookupError(f"criterion {config.impl!r} is not registered")
    needs = spec.needs + ((CALL_END,) if config.needs_call_end and CALL_END not in spec.needs else ())
    missing = [need for need in needs if need in ctx.transcript.missing]
    if spec.needs_roles and not ctx.transcript.roles_known:
        outcome = not_applicable(ctx._("needs to know which speaker is the agent; this recording's roles are unknown"))
    elif missing:
        need = missing[0]
        outcome = not_applicable(ctx._("{reason}; this criterion needs {need}").format(
            reason=ctx.transcript.missing[need], need=ctx._(_NEEDS[need]) if need in _NEEDS else need))
    else:
        call = dataclasses.replace(ctx, dialogue_acts=acts if config.use_classifier else None)
        outcome = spec.func(call, config.params)
    return CriterionResult(
        id=config.id,
        verdict=outcome.verdict,
        weight=config.weight,
        confidence=max(0.0, min(1.0, outcome.confidence)),
        evidence=outcome.evidence,
        detail=outcome.detail,
        title=config.title,
        serious_error=config.serious_error,
        failed_title=config.failed_title,
    )


def score(results: Sequence[CriterionResult]) -> float | None:
    """Weighted share of applicable criteria that passed, in percent; None if none apply."""
    applicable = [r for r in results if r.verdict != NOT_APPLICABLE]
    total = sum(r.weight for r in applicable)
    if not applicable or total <= 0:
        return None
    return 100.0 * sum(r.weight for r in applicable if r.verdict == PASS) / total


def _joined_acts(acts: Sequence[DialogueAct | None], groups: Sequence[tuple[int, ...]]
                 ) -> tuple[DialogueAct | None, ...]:
    """One act per joined utterance: the most probable act of its parts."""
    return tuple(max((a for a in (acts[i] for i in group) if a is not None), key=lambda a: a.probability, default=None)
                 for group in groups)


def _metrics(ctx: CallContext, rubric: Rubric, heard: Transcript) -> CallMetrics:
    """Call metrics, timed on the utterances as `heard`; interruptions use the rubric's own
    no_interrupting parameters when it has them."""
    params = next((c.params for c in rubric.criteria if isinstance(c.params, InterruptingParams)), None)
    rule = backchannel_rule(params) if params else BackchannelRule(frozenset())
    interruptions = find_interruptions(heard, params.min_overlap_s if params else 0.5, rule)
    questions = sum(len(nlp.question_sentences(ctx.docs[i])) for i in ctx.agent_indices()) if ctx.transcript.roles_known else 0
    return call_metrics(heard, len(interruptions), questions)
