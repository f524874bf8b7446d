"""Team KPIs, the review flags and the access log.

Per scorecard, the fields the KPI page and the `callbacks due` list read, taken from the
card at save time: the card's language, its `needs_review` criterion ids, the sales
block's status, status group and next contact (date, the words said, the evidence line),
and the number of customer turns (what a connection is judged from, see
`qa_pipeline.store.kpis`). Cards stored before this migration keep NULL sales fields
(calls without status); their customer turns are counted here from the stored transcript.

`access_log`: who opened which call, when (user and scorecard ids only).

Revision ID: 0008_kpi
Revises: 0007_review
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_kpi"
down_revision = "0007_review"
branch_labels = None
depends_on = None

COLUMNS = (
    sa.Column("language", sa.String(10), nullable=True),
    sa.Column("needs_review", sa.JSON(), nullable=True),
    sa.Column("sales_status", sa.String(40), nullable=True),
    sa.Column("sales_group", sa.String(20), nullable=True),
    sa.Column("next_contact_date", sa.Date(), nullable=True),
    sa.Column("next_contact_words", sa.Text(), nullable=False, server_default=""),
    sa.Column("next_contact_quote", sa.Text(), nullable=False, server_default=""),
    sa.Column("customer_ref", sa.String(200), nullable=False, server_default=""),
    sa.Column("customer_turns", sa.Integer(), nullable=False, server_default="0"),
)


def upgrade() -> None:
    # Plain ALTER TABLE, as in 0007: a batch copy of `scorecards` would cascade-delete its children.
    for column in COLUMNS:
        op.add_column("scorecards", column)
    op.create_index("ix_scorecards_next_contact_date", "scorecards", ["next_contact_date"])
    op.execute(
        "UPDATE scorecards SET customer_turns = (SELECT count(*) FROM utterances "
        "WHERE utterances.scorecard_id = scorecards.id AND utterances.speaker = 'customer')"
    )
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("scorecard_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_access_log_scorecard_id", "access_log", ["scorecard_id"])
    op.create_index("ix_access_log_created_at", "access_log", ["created_at"])


def downgrade() -> None:
    op.drop_table("access_log")
    op.drop_index("ix_scorecards_next_contact_date", table_name="scorecards")
    for column in reversed(COLUMNS):
        op.drop_column("scorecards", column.name)
