"""Sales scorecards for the KPI tests, built as scorecard JSON (with the `sales` block the
sales rubric writes, docs/sales.md) and saved through the store's real API."""

from __future__ import annotations

import hashlib

from qa_pipeline.contract import scorecard_from_dict, scorecard_to_dict
from qa_pipeline.records import AGENT, CUSTOMER, PASS, CallMetrics, CriterionResult, Scorecard, Transcript, Utterance

GROUP = {"no_need": "do_not_call", "no_authority": "do_not_call", "has_comparable_service": "do_not_call",
         "invalid_number": "do_not_call", "gatekeeper_refused": "not_decided", "refused_no_reason": "not_decided",
         "contact_absent": "not_decided", "unknown": "unknown"}

# (call id, agent, call time, status or None for a card without a sales block, length s,
#  customer spoke, (next contact date, words, the customer's line) or None)
WEEK = (
    ("A01", "agent-anna", "2026-11-23T09:00:00", "meeting_booked", 240, True, None),
    ("A02", "agent-anna", "2026-11-23T10:00:00", "meeting_booked", 180, True, None),
    ("A03", "agent-anna", "2026-11-23T11:00:00", "invalid_number", 20, False, None),
    ("A04", "agent-anna", "2026-11-23T12:00:00", "no_need", 60, True, None),
    ("A05", "agent-anna", "2026-11-23T13:00:00", None, 100, True, None),
    ("A06", "agent-anna", "2026-11-24T09:00:00", "bad_timing", 90, True,
     ("2026-11-30", "next Monday", "We are busy now, call me next Monday.")),
    ("A07", "agent-anna", "2026-11-24T10:00:00", "gatekeeper_refused", 45, True, None),
    ("A08", "agent-anna", "2026-11-24T11:00:00", "wants_materials", 120, True,
     ("2099-01-10", "in January", "Send the brochure and call me in January.")),
    ("A09", "agent-anna", "2026-11-24T12:00:00", "contact_absent", 30, True, None),
    ("A10", "agent-anna", "2026-11-24T13:00:00", "meeting_booked", 210, True, None),
    ("A11", "agent-anna", "2026-11-24T14:00:00", "refused_no_reason", 40, True, None),
    ("B01", "agent-ben", "2026-11-25T09:00:00", "comparing_vendors", 150, True,
     ("2026-11-27", "on Friday", "We are comparing offers, try me on Friday.")),
    ("B02", "agent-ben", "2026-11-25T10:00:00", "meeting_booked", 200, True, None),
)
# Anna's four weeks before: Tuesdays and Thursdays, three calls a day (8 working days, 24 calls).
BASELINE_DAYS = ("2026-10-27", "2026-10-29", "2026-11-03", "2026-11-05", "2026-11-10", "2026-11-12",
                 "2026-11-17", "2026-11-19")
BASELINE_CALLS = (("meeting_booked", 300, True), ("no_need", 60, True), ("invalid_number", 20, False))


def calls() -> list[tuple]:
    baseline = [(f"P{d}{i}", "agent-anna", f"{d}T1{i}:00:00", status, length, spoke, None)
                for d in BASELINE_DAYS for i, (status, length, spoke) in enumerate(BASELINE_CALLS)]
    return baseline + list(WEEK)


def card_json(call_id: str, agent: str, when: str, status: str | None, length: float, spoke: bool,
              contact: tuple | None, rubric: str = "sales") -> dict:
    """The scorecard JSON a sales-rubric run writes for such a call (`rubric="etiquette"`: no sales block)."""
    lines = [Utterance(AGENT, 0.5, 3.0, "Hello, this is Anna from Bright Office Supplies.")]
    if spoke:
        lines.append(Utterance(CUSTOMER, 3.4, 6.0, contact[2] if contact else "Hello, who is calling?"))
    card = Scorecard(
        call_id=call_id, recording=f"{call_id}.wav", agent_id=agent, duration_s=float(length), channels=2,
        rubric_id=rubric, rubric_version="1", score=100.0,
        criteria=(CriterionResult("purpose_stated_early", PASS, 1.0, 0.9),),
        metrics=CallMetrics(0, 3.0, 2.6, 1.0, 150.0, 0),
        transcript=Transcript(tuple(lines), float(length), 2, asr_model="base"),
        versions={"pipeline": "test", "redaction": "test: no PII in these lines"},
    )
    data = scorecard_to_dict(card) | {"call_time": when, "language": "en", "needs_review": []}
    if rubric == "sales" and status is not None:
        next_contact = None
        if contact:
            evidence = [{"speaker": CUSTOMER, "start": 3.4, "end": 6.0, "text": contact[2]}]
            next_contact = {"date": contact[0], "words": contact[1], "confidence": 0.9, "evidence": evidence}
        data["sales"] = {"status": status, "status_group": GROUP.get(status, "call_again"),
                         "call_again": GROUP.get(status, "call_again") == "call_again", "status_confidence": 0.9,
                         "status_evidence": [], "next_contact": next_contact, "next_action": None,
                         "follow_up": False}
    return data


def save_json(store, data: dict) -> int:
    """Save one card JSON through the store's API, as `qa-pipeline import` does."""
    sha = hashlib.sha256(data["call_id"].encode()).hexdigest()
    return store.save_scorecard(scorecard_from_dict(data), sha, data["recording"], call_time=data["call_time"],
                                card_json=data)


def seed_kpis(store) -> dict[str, int]:
    """Every call of `calls()` as a sales card; A01 also has an etiquette card (one call, two cards)."""
    ids = {row[0]: save_json(store, card_json(*row)) for row in calls()}
    save_json(store, card_json(*WEEK[0][:6], None, rubric="etiquette"))
    return ids
