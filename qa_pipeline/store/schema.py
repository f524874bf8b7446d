"""The results store's tables, as SQLAlchemy 2 declarative models.

A call is one recording, identified by the SHA-256 of its bytes. A scorecard is
that call scored by one rubric version; re-scoring replaces its machine results
in place (same row id), so supervisor overrides, which point at the scorecard
and a criterion id, survive every re-score.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    display_name: Mapped[str | None] = mapped_column(String(200))


class Call(Base):
    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    call_label: Mapped[str] = mapped_column(String(200), index=True)
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("agents.id"), index=True)
    recording: Mapped[str] = mapped_column(Text)
    audio_path: Mapped[str] = mapped_column(Text)
    # The copy with PII silenced (migration 0005); the review app serves it instead when set.
    redacted_audio_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    duration_s: Mapped[float] = mapped_column(Float)
    channels: Mapped[int] = mapped_column(Integer)
    call_time: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)

    scorecards: Mapped[list[ScorecardRow]] = relationship(back_populates="call")


class ScorecardRow(Base):
    __tablename__ = "scorecards"
    __table_args__ = (UniqueConstraint("call_id", "rubric_id", "rubric_version", name="uq_scorecard_identity"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    rubric_id: Mapped[str] = mapped_column(String(100))
    rubric_version: Mapped[str] = mapped_column(String(50))
    # The rubric's content hash (migration 0007); "" for cards scored before it was recorded.
    rubric_sha256: Mapped[str] = mapped_column(String(64), default="", server_default="")
    score: Mapped[float | None] = mapped_column(Float, index=True)
    outcome: Mapped[str | None] = mapped_column(String(100))
    asr_model: Mapped[str] = mapped_column(String(100), default="")
    versions: Mapped[dict] = mapped_column(JSON, default=dict)
    warnings: Mapped[list] = mapped_column(JSON, default=list)
    roles: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    interruptions: Mapped[int] = mapped_column(Integer, default=0)
    agent_talk_s: Mapped[float] = mapped_column(Float, default=0.0)
    customer_talk_s: Mapped[float] = mapped_column(Float, default=0.0)
    silence_s: Mapped[float] = mapped_column(Float, default=0.0)
    agent_wpm: Mapped[float | None] = mapped_column(Float)
    agent_questions: Mapped[int] = mapped_column(Integer, default=0)
    scored_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    times_saved: Mapped[int] = mapped_column(Integer, default=1)
    # Taken from the card at save time (migration 0008; `qa_pipeline.store.card_fields`): what the
    # KPI page, the callbacks list and the review queue read. Sales fields are NULL without a sales block.
    language: Mapped[str | None] = mapped_column(String(10))
    needs_review: Mapped[list | None] = mapped_column(JSON)  # criterion ids; None read as []
    sales_status: Mapped[str | None] = mapped_column(String(40))
    sales_group: Mapped[str | None] = mapped_column(String(20))
    next_contact_date: Mapped[date | None] = mapped_column(Date, index=True)
    next_contact_words: Mapped[str] = mapped_column(Text, default="", server_default="")
    next_contact_quote: Mapped[str] = mapped_column(Text, default="", server_default="")
    customer_ref: Mapped[str] = mapped_column(String(200), default="", server_default="")
    customer_turns: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    call: Mapped[Call] = relationship(back_populates="scorecards")
    criteria: Mapped[list[CriterionRow]] = relationship(order_by="CriterionRow.position", viewonly=True)
    utterances: Mapped[list[UtteranceRow]] = relationship(order_by="UtteranceRow.position", viewonly=True)
    overrides: Mapped[list[Override]] = relationship(order_by="Override.id", viewonly=True)


class CriterionRow(Base):
    __tablename__ = "criterion_results"
    __table_args__ = (UniqueConstraint("scorecard_id", "criterion_id", name="uq_criterion_per_scorecard"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    criterion_id: Mapped[str] = mapped_column(String(100), index=True)
    verdict: Mapped[str] = mapped_column(String(20))
    weight: Mapped[float] = mapped_column(Float)
    confidence: Mapped[float] = mapped_column(Float)
    detail: Mapped[str] = mapped_column(Text, default="")
    # The rubric's wording of the criterion, and the serious error a fail means ("" if none).
    title: Mapped[str] = mapped_column(String(200), default="", server_default="")
    serious_error: Mapped[str] = mapped_column(String(200), default="", server_default="")
    failed_title: Mapped[str] = mapped_column(String(200), default="", server_default="")  # migration 0007

    evidence: Mapped[list[EvidenceRow]] = relationship(order_by="EvidenceRow.position", viewonly=True)


class EvidenceRow(Base):
    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    criterion_result_id: Mapped[int] = mapped_column(
        ForeignKey("criterion_results.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    speaker: Mapped[str] = mapped_column(String(20))
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)


class UtteranceRow(Base):
    __tablename__ = "utterances"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    speaker: Mapped[str] = mapped_column(String(20))
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    agent_id: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Override(Base):
    """A supervisor's verdict on one criterion of one scorecard: append-only audit trail."""

    __tablename__ = "overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id"), index=True)
    criterion_id: Mapped[str] = mapped_column(String(100), index=True)
    machine_verdict: Mapped[str] = mapped_column(String(20))
    verdict: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)

    user: Mapped[User] = relationship()


# Kinds of review event, in the words the history shows: a supervisor starts and finishes a
# review; an agent acknowledges a scorecard or disputes one verdict; a supervisor resolves a
# dispute by upholding the machine verdict or overriding it (the override row holds the verdict).
STARTED, REVIEWED, ACKNOWLEDGED, DISPUTED, UPHELD, OVERRULED = (
    "started", "reviewed", "acknowledged", "disputed", "upheld", "overruled")
EVENT_KINDS = (STARTED, REVIEWED, ACKNOWLEDGED, DISPUTED, UPHELD, OVERRULED)


class ReviewEvent(Base):
    """One step of a scorecard's review: append-only, like overrides."""

    __tablename__ = "review_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    criterion_id: Mapped[str] = mapped_column(String(100), default="")  # disputes and resolutions name one
    verdict: Mapped[str] = mapped_column(String(20), default="")  # the verdict disputed or resolved to
    comment: Mapped[str] = mapped_column(Text, default="")
    resolves_id: Mapped[int | None] = mapped_column(ForeignKey("review_events.id"))  # the dispute resolved
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)

    user: Mapped[User] = relationship()


class RescoreRun(Base):
    """What re-scoring stored calls with a rubric would change (`qa-pipeline rescore`), and whether it was applied."""

    __tablename__ = "rescore_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rubric_id: Mapped[str] = mapped_column(String(100))
    rubric_version: Mapped[str] = mapped_column(String(50))
    rubric_sha256: Mapped[str] = mapped_column(String(64))
    rubric_source: Mapped[str] = mapped_column(Text)  # the YAML it was loaded from: the app re-loads it to apply
    since: Mapped[datetime | None] = mapped_column(DateTime)
    calls: Mapped[int] = mapped_column(Integer)
    # [{"criterion", "before", "after", "call", "scorecard_id"}, ...]: one entry per changed verdict.
    flips: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    applied_at: Mapped[datetime | None] = mapped_column(DateTime)


# Search indexes the models cannot declare (migration 0007): SQLite's FTS5 table and its
# shadow tables, PostgreSQL's expression index. Schema comparisons leave them out.
FTS_NAMES = ("utterances_fts", "ix_utterances_fts")


def include_name(name: str | None, type_: str, _parents: dict) -> bool:
    """Alembic `include_name` hook: everything but the search index objects."""
    return not (name or "").startswith(FTS_NAMES)


class AccessEntry(Base):
    """Who opened which call, when: user and scorecard ids only, no call content (migration 0008)."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    scorecard_id: Mapped[int] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(20))  # page | audio | clip
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)

    user: Mapped[User] = relationship()


class LoginSession(Base):
    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)

    user: Mapped[User] = relationship()


class ClaimRow(Base):
    """Who is scoring a call, or that it is finished: one row per processing key.

    The key is `qa_pipeline.identity.processing_key(content hash, rubric, model)`. Every
    worker of a fanned-out run reads and writes these rows transactionally
    (`qa_pipeline.store.claims`), so two workers never score the same call.
    """

    __tablename__ = "claims"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    content_sha256: Mapped[str] = mapped_column(String(64), index=True)
    relpath: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer, default=0)  # bytes, with stamp: reuse the hash of an unchanged file
    stamp: Mapped[str] = mapped_column(String(100), default="")  # modification time as listed
    status: Mapped[str] = mapped_column(String(20), index=True)  # claimed | done | quarantined
    owner: Mapped[str] = mapped_column(String(300))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    claimed_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    score: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text, default="")
