"""Initial results store: calls, agents, scorecards, criteria, evidence, transcripts, users, overrides.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True)


def _speech_columns() -> list[sa.Column]:
    return [
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("speaker", sa.String(20), nullable=False),
        sa.Column("start_s", sa.Float(), nullable=False),
        sa.Column("end_s", sa.Float(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
    ]


def upgrade() -> None:
    _accounts()
    _calls()
    _results()


def _accounts() -> None:
    op.create_table(
        "agents",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("display_name", sa.String(200), nullable=True),
    )
    op.create_table(
        "users",
        _id(),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("agent_id", sa.String(200), nullable=True),
        sa.Column("password_hash", sa.String(300), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )


def _calls() -> None:
    op.create_table(
        "calls",
        _id(),
        sa.Column("content_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("call_label", sa.String(200), nullable=False, index=True),
        sa.Column("agent_id", sa.String(200), sa.ForeignKey("agents.id"), nullable=True, index=True),
        sa.Column("recording", sa.Text(), nullable=False),
        sa.Column("audio_path", sa.Text(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("channels", sa.Integer(), nullable=False),
        sa.Column("call_time", sa.DateTime(), nullable=True, index=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "scorecards",
        _id(),
        sa.Column("call_id", sa.Integer(), sa.ForeignKey("calls.id"), nullable=False, index=True),
        sa.Column("rubric_id", sa.String(100), nullable=False),
        sa.Column("rubric_version", sa.String(50), nullable=False),
        sa.Column("score", sa.Float(), nullable=True, index=True),
        sa.Column("outcome", sa.String(100), nullable=True),
        sa.Column("asr_model", sa.String(100), nullable=False),
        sa.Column("versions", sa.JSON(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("interruptions", sa.Integer(), nullable=False),
        sa.Column("agent_talk_s", sa.Float(), nullable=False),
        sa.Column("customer_talk_s", sa.Float(), nullable=False),
        sa.Column("silence_s", sa.Float(), nullable=False),
        sa.Column("agent_wpm", sa.Float(), nullable=True),
        sa.Column("agent_questions", sa.Integer(), nullable=False),
        sa.Column("scored_at", sa.DateTime(), nullable=False, index=True),
        sa.Column("times_saved", sa.Integer(), nullable=False),
        sa.UniqueConstraint("call_id", "rubric_id", "rubric_version", name="uq_scorecard_identity"),
    )


def _results() -> None:
    op.create_table(
        "criterion_results",
        _id(),
        sa.Column(
            "scorecard_id", sa.Integer(), sa.ForeignKey("scorecards.id", ondelete="CASCADE"),
            nullable=False, index=True,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.String(100), nullable=False, index=True),
        sa.Column("verdict", sa.String(20), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.UniqueConstraint("scorecard_id", "criterion_id", name="uq_criterion_per_scorecard"),
    )
    op.create_table(
        "evidence",
        _id(),
        sa.Column(
            "criterion_result_id", sa.Integer(), sa.ForeignKey("criterion_results.id", ondelete="CASCADE"),
            nullable=False, index=True,
        ),
        *_speech_columns(),
    )
    op.create_table(
        "utterances",
        _id(),
        sa.Column(
            "scorecard_id", sa.Integer(), sa.ForeignKey("scorecards.id", ondelete="CASCADE"),
            nullable=False, index=True,
        ),
        *_speech_columns(),
    )
    op.create_table(
        "overrides",
        _id(),
        sa.Column("scorecard_id", sa.Integer(), sa.ForeignKey("scorecards.id"), nullable=False, index=True),
        sa.Column("criterion_id", sa.String(100), nullable=False, index=True),
        sa.Column("machine_verdict", sa.String(20), nullable=False),
        sa.Column("verdict", sa.String(20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "sessions",
        _id(),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False, index=True),
    )


def downgrade() -> None:
    for table in ("sessions", "overrides", "utterances", "evidence", "criterion_results",
                  "scorecards", "calls", "users", "agents"):
        op.drop_table(table)
