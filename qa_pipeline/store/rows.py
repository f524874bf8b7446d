"""Mapping between the pipeline's records and the store's rows, both ways."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from qa_pipeline.contract import roles_from_dict, roles_with_direction
from qa_pipeline.records import AGENT, CallMetrics, CriterionResult, Evidence, Scorecard, Transcript, Utterance
from qa_pipeline.store.schema import Call, CriterionRow, EvidenceRow, ScorecardRow, UtteranceRow
from qa_pipeline.store.views import CallDetail, OverrideView


def fill_call(call: Call, card: Scorecard, audio_path: str, when: datetime | None) -> None:
    call.call_label = card.call_id
    call.agent_id = card.agent_id
    call.recording = card.recording
    call.audio_path = audio_path
    call.duration_s = card.duration_s
    call.channels = card.channels
    if when is not None:
        call.call_time = when


def fill_scorecard(row: ScorecardRow, card: Scorecard, now: datetime) -> None:
    metrics = card.metrics
    row.rubric_id = card.rubric_id
    row.rubric_version = card.rubric_version
    row.rubric_sha256 = card.rubric_sha256
    row.score = card.score
    row.outcome = card.outcome
    row.asr_model = card.versions.get("asr_model", card.transcript.asr_model)
    row.versions = dict(card.versions)
    row.warnings = list(card.warnings)
    row.roles = roles_with_direction(card.transcript.roles)
    row.interruptions = metrics.interruptions
    row.agent_talk_s = metrics.agent_talk_s
    row.customer_talk_s = metrics.customer_talk_s
    row.silence_s = metrics.silence_s
    row.agent_wpm = metrics.agent_wpm
    row.agent_questions = metrics.agent_questions
    row.scored_at = now
    row.times_saved = (row.times_saved or 0) + 1


def add_results(session: Session, scorecard_id: int, card: Scorecard) -> None:
    """Insert the card's criterion results, their evidence and its transcript."""
    for position, result in enumerate(card.criteria):
        criterion = CriterionRow(
            scorecard_id=scorecard_id,
            position=position,
            criterion_id=result.id,
            verdict=result.verdict,
            weight=result.weight,
            confidence=result.confidence,
            detail=result.detail,
            title=result.title,
            serious_error=result.serious_error,
            failed_title=result.failed_title,
        )
        session.add(criterion)
        session.flush()
        session.add_all(
            EvidenceRow(criterion_result_id=criterion.id, position=i, **_speech(e))
            for i, e in enumerate(result.evidence)
        )
    session.add_all(
        UtteranceRow(scorecard_id=scorecard_id, position=i, **_speech(u))
        for i, u in enumerate(card.transcript.utterances)
    )


def _speech(item: Evidence | Utterance) -> dict:
    return {"speaker": item.speaker, "start_s": item.start, "end_s": item.end, "text": item.text}


def _evidence(row: EvidenceRow) -> Evidence:
    return Evidence(row.speaker, row.start_s, row.end_s, row.text)


def card_of(row: ScorecardRow) -> Scorecard:
    """Rebuild the pipeline's Scorecard record from its stored rows."""
    call = row.call
    transcript = Transcript(
        utterances=tuple(Utterance(u.speaker, u.start_s, u.end_s, u.text) for u in row.utterances),
        duration_s=call.duration_s,
        channels=call.channels,
        roles_known=call.channels == 2 or any(u.speaker == AGENT for u in row.utterances),
        asr_model=row.asr_model,
        roles=roles_from_dict(row.roles),
    )
    criteria = tuple(
        CriterionResult(c.criterion_id, c.verdict, c.weight, c.confidence, tuple(map(_evidence, c.evidence)), c.detail,
                        c.title or "", c.serious_error or "", c.failed_title or "")
        for c in row.criteria
    )
    metrics = CallMetrics(
        interruptions=row.interruptions,
        agent_talk_s=row.agent_talk_s,
        customer_talk_s=row.customer_talk_s,
        silence_s=row.silence_s,
        agent_wpm=row.agent_wpm,
        agent_questions=row.agent_questions,
    )
    return Scorecard(
        call_id=call.call_label,
        recording=call.recording,
        agent_id=call.agent_id,
        duration_s=call.duration_s,
        channels=call.channels,
        rubric_id=row.rubric_id,
        rubric_version=row.rubric_version,
        rubric_sha256=row.rubric_sha256 or "",
        score=row.score,
        criteria=criteria,
        metrics=metrics,
        transcript=transcript,
        versions=dict(row.versions or {}),
        outcome=row.outcome,
        warnings=tuple(row.warnings or ()),
        call_time=call.call_time.isoformat() if call.call_time else None,
    )


def detail_of(row: ScorecardRow) -> CallDetail:
    overrides = tuple(
        OverrideView(o.id, o.criterion_id, o.machine_verdict, o.verdict, o.comment, o.user.name, o.created_at)
        for o in row.overrides
    )
    return CallDetail(
        scorecard_id=row.id,
        content_sha256=row.call.content_sha256,
        audio_path=row.call.audio_path,
        call_time=row.call.call_time,
        scored_at=row.scored_at,
        times_saved=row.times_saved,
        card=card_of(row),
        overrides=overrides,
        redacted_audio_path=row.call.redacted_audio_path,
        needs_review=tuple(row.needs_review or ()),
        language=row.language,
    )


def replace_text(row: ScorecardRow, card: Scorecard) -> None:
    """Put `card`'s transcript text, evidence quotes, criterion details and versions into `row`,
    whose utterances, criteria and evidence match the card's in number and order."""
    for utterance_row, utterance in zip(row.utterances, card.transcript.utterances, strict=True):
        utterance_row.text = utterance.text
    for criterion_row, result in zip(row.criteria, card.criteria, strict=True):
        criterion_row.detail = result.detail
        for evidence_row, evidence in zip(criterion_row.evidence, result.evidence, strict=True):
            evidence_row.text = evidence.text
    row.versions = dict(card.versions or {})


def quoted_line(row: ScorecardRow) -> UtteranceRow | None:
    """The transcript line the next contact's quote was taken from (`card_fields`), if any."""
    return next((u for u in row.utterances if row.next_contact_quote and u.text == row.next_contact_quote), None)
