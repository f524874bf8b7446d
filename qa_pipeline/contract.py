"""The public JSON shapes: transcripts and the versioned scorecard contract.

The scorecard shape is documented in docs/scorecard.md. Adding a field is a minor
change; renaming or removing one needs a new schema version.
"""

from __future__ import annotations

from typing import Any

from qa_pipeline.records import (
    CallMetrics,
    CriterionResult,
    Evidence,
    NextAction,
    NextContact,
    RoleDecision,
    SalesOutcome,
    Scorecard,
    Transcript,
    Utterance,
    Word,
)

SCORECARD_SCHEMA = "qa-pipeline.scorecard/1"
TRANSCRIPT_SCHEMA = "qa-pipeline.transcript/1"


def _t(seconds: float) -> float:
    return round(float(seconds), 2)


def utterance_to_dict(u: Utterance, with_words: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"speaker": u.speaker, "start": _t(u.start), "end": _t(u.end), "text": u.text}
    if with_words:
        out["channel"] = u.channel
        out["words"] = [_word_to_dict(w) for w in u.words]
    return out


def _word_to_dict(w: Word) -> dict[str, Any]:
    out = {"text": w.text, "start": _t(w.start), "end": _t(w.end), "probability": round(w.probability, 3)}
    if w.rise_st is not None:
        out["rise_st"] = round(w.rise_st, 2)
    return out


def utterance_from_dict(d: dict[str, Any]) -> Utterance:
    words = tuple(
        Word(w["text"], w["start"], w["end"], w.get("probability", 1.0), w.get("rise_st")) for w in d.get("words", ())
    )
    return Utterance(d["speaker"], d["start"], d["end"], d["text"], words, d.get("channel"))


def roles_to_dict(r: RoleDecision | None) -> dict[str, Any] | None:
    """The scorecard's `roles` block: how speaker roles were found (None when they were not)."""
    if r is None:
        return None
    confidence = None if r.confidence is None else round(r.confidence, 3)
    direction_confidence = None if r.direction_confidence is None else round(r.direction_confidence, 3)
    return {"source": r.source, "agent_channel": r.agent_channel, "confidence": confidence, "speakers": r.speakers,
            "direction_source": r.direction_source, "direction_confidence": direction_confidence}


def roles_from_dict(d: dict[str, Any] | None, direction: str | None = None) -> RoleDecision | None:
    """The `roles` block read back; `direction` is the scorecard's top-level field (a
    transcript keeps it inside the block)."""
    if not d:
        return None
    return RoleDecision(d["source"], d.get("agent_channel"), d.get("confidence"), d.get("speakers", 2),
                        d.get("direction", direction), d.get("direction_source"), d.get("direction_confidence"))


def roles_with_direction(r: RoleDecision | None) -> dict[str, Any] | None:
    """The `roles` block with the call's direction inside, for records that keep no
    top-level `direction` (a transcript, a stored scorecard's row); `roles_from_dict` reads it."""
    block = roles_to_dict(r)
    return None if block is None or r is None else {**block, "direction": r.direction}


def transcript_to_dict(t: Transcript, recording: str = "") -> dict[str, Any]:
    return {
        "schema": TRANSCRIPT_SCHEMA,
        "recording": recording,
        "duration_s": _t(t.duration_s),
        "channels": t.channels,
        "roles_known": t.roles_known,
        "warnings": list(t.warnings),
        "asr_model": t.asr_model,
        "missing": dict(t.missing),
        "roles": roles_with_direction(t.roles),
        "utterances": [utterance_to_dict(u, with_words=True) for u in t.utterances],
        **_language_to_dict(t),
    }


def transcript_from_dict(d: dict[str, Any]) -> Transcript:
    return Transcript(
        utterances=tuple(utterance_from_dict(u) for u in d["utterances"]),
        duration_s=d["duration_s"],
        channels=d["channels"],
        roles_known=d.get("roles_known", True),
        warnings=tuple(d.get("warnings", ())),
        asr_model=d.get("asr_model", ""),
        missing=dict(d.get("missing", {})),
        roles=roles_from_dict(d.get("roles")),
        **_language_from_dict(d),
    )


def _language_to_dict(t: Transcript) -> dict[str, Any]:
    """The call's language and, when Whisper detected it, its probability (null when it was given)."""
    p = t.language_probability
    return {"language": t.language or None, "language_probability": None if p is None else round(p, 3)}


def _language_from_dict(d: dict[str, Any]) -> dict[str, Any]:
    return {"language": d.get("language") or "", "language_probability": d.get("language_probability")}


def _evidence_to_dict(e: Evidence) -> dict[str, Any]:
    return {"speaker": e.speaker, "start": _t(e.start), "end": _t(e.end), "text": e.text}


def _criterion_to_dict(c: CriterionResult) -> dict[str, Any]:
    return {
        "id": c.id,
        "verdict": c.verdict,
        "weight": c.weight,
        "confidence": round(c.confidence, 3),
        "evidence": [_evidence_to_dict(e) for e in c.evidence],
        "detail": c.detail,
        "title": c.label,
        "serious_error": c.serious_error or None,
        "failed_title": c.failed_title or None,
        "needs_review": c.needs_review,
    }


def _metrics_to_dict(m: CallMetrics) -> dict[str, Any]:
    return {
        "interruptions": m.interruptions,
        "agent_talk_s": round(m.agent_talk_s, 1),
        "customer_talk_s": round(m.customer_talk_s, 1),
        "silence_s": round(m.silence_s, 1),
        "agent_wpm": None if m.agent_wpm is None else round(m.agent_wpm),
        "agent_questions": m.agent_questions,
    }


def scorecard_to_dict(card: Scorecard) -> dict[str, Any]:
    """The scorecard as the contract in docs/scorecard.md gives it."""
    return {
        "schema": SCORECARD_SCHEMA,
        "call_id": card.call_id,
        "recording": card.recording,
        "agent_id": card.agent_id,
        "call_time": card.call_time,
        "duration_s": round(card.duration_s, 1),
        "channels": card.channels,
        "rubric": {"id": card.rubric_id, "version": card.rubric_version, "sha256": card.rubric_sha256 or None},
        "score": None if card.score is None else round(card.score, 1),
        "criteria": [_criterion_to_dict(c) for c in card.criteria],
        "metrics": _metrics_to_dict(card.metrics),
        "transcript": [utterance_to_dict(u) for u in card.transcript.utterances],
        "versions": dict(card.versions),
        "outcome": card.outcome,
        "warnings": list(card.warnings),
        "roles": roles_to_dict(card.transcript.roles),
        "serious_errors": [{"criterion": c.id, "error": c.serious_error} for c in card.serious_errors],
        "direction": card.transcript.roles.direction if card.transcript.roles else None,
        **_language_to_dict(card.transcript),
        "needs_review": list(card.needs_review),
        "outcome_confidence": None if card.outcome_confidence is None else round(card.outcome_confidence, 3),
        **({"sales": sales_to_dict(card.sales)} if card.sales is not None else {}),
    }


def scorecard_from_dict(d: dict[str, Any]) -> Scorecard:
    """Read a scorecard written by `scorecard_to_dict` (word timings are not kept)."""
    if d.get("schema") != SCORECARD_SCHEMA:
        raise ValueError(f"expected schema {SCORECARD_SCHEMA!r}, got {d.get('schema')!r}")
    utterances = tuple(utterance_from_dict(u) for u in d["transcript"])
    transcript = Transcript(
        utterances=utterances,
        duration_s=d["duration_s"],
        channels=d["channels"],
        roles_known=d["channels"] == 2 or any(u.speaker == "agent" for u in utterances),
        warnings=tuple(d.get("warnings", ())),
        asr_model=d.get("versions", {}).get("asr_model", ""),
        roles=roles_from_dict(d.get("roles"), d.get("direction")),
        **_language_from_dict(d),
    )
    criteria = tuple(
        CriterionResult(
            id=c["id"],
            verdict=c["verdict"],
            weight=c["weight"],
            confidence=c["confidence"],
            evidence=tuple(Evidence(**e) for e in c["evidence"]),
            detail=c.get("detail", ""),
            title=c.get("title") if c.get("title") not in (None, c["id"]) else "",
            serious_error=c.get("serious_error") or "",
            failed_title=c.get("failed_title") or "",
            needs_review=bool(c.get("needs_review", False)),
        )
        for c in d["criteria"]
    )
    return Scorecard(
        call_id=d["call_id"],
        recording=d["recording"],
        agent_id=d.get("agent_id"),
        duration_s=d["duration_s"],
        channels=d["channels"],
        rubric_id=d["rubric"]["id"],
        rubric_version=d["rubric"]["version"],
        rubric_sha256=d["rubric"].get("sha256") or "",
        score=d["score"],
        criteria=criteria,
        metrics=CallMetrics(**d["metrics"]),
        transcript=transcript,
        versions=d.get("versions", {}),
        outcome=d.get("outcome"),
        warnings=tuple(d.get("warnings", ())),
        call_time=d.get("call_time"),
        sales=sales_from_dict(d["sales"]) if d.get("sales") else None,
        outcome_confidence=d.get("outcome_confidence"),
    )


def sales_to_dict(s: SalesOutcome) -> dict[str, Any]:
    """The scorecard's `sales` block (present only for a rubric with a sales section; docs/scorecard.md)."""
    contact = s.next_contact
    action = s.next_action
    return {
        "status": s.status,
        "status_group": s.status_group,
        "call_again": s.call_again,
        "status_confidence": round(s.status_confidence, 3),
        "status_evidence": [_evidence_to_dict(e) for e in s.status_evidence],
        "next_contact": None if contact is None else {
            "date": contact.date, "words": contact.words, "confidence": round(contact.confidence, 3),
            "evidence": [_evidence_to_dict(e) for e in contact.evidence]},
        "next_action": None if action is None else {
            "what": action.what, "when": action.when, "when_words": action.when_words, "who": action.who},
        "follow_up": s.follow_up,
    }


def sales_from_dict(d: dict[str, Any]) -> SalesOutcome:
    """The `sales` block read back."""
    contact, action = d.get("next_contact"), d.get("next_action")
    return SalesOutcome(
        status=d["status"], status_group=d["status_group"], call_again=d.get("call_again"),
        status_confidence=d["status_confidence"],
        status_evidence=tuple(Evidence(**e) for e in d.get("status_evidence", ())),
        next_contact=None if not contact else NextContact(
            contact["date"], contact["words"], contact["confidence"], tuple(Evidence(**e) for e in contact["evidence"])),
        next_action=None if not action else NextAction(action["what"], action["who"], action.get("when"),
                                                       action.get("when_words")),
        follow_up=bool(d.get("follow_up", False)),
    )
