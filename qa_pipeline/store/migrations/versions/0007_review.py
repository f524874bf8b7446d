"""Full-text search over transcripts, the review history (states, acknowledgements, disputes), and
the rubric's wording of a failed criterion, the content hash of the rubric behind each card, and
the diffs of `qa-pipeline rescore`.

SQLite: an FTS5 index (`utterances_fts`, Porter stemming) kept in step with `utterances`
by triggers and filled here for the rows already stored. PostgreSQL: a GIN index on the
English `to_tsvector` of each utterance, which covers existing rows as it is built.

Revision ID: 0007_review
Revises: 0006_claims
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_review"
down_revision = "0006_claims"
branch_labels = None
depends_on = None

SQLITE_FTS = (
    ("CREATE VIRTUAL TABLE utterances_fts USING fts5("
     "text, content='utterances', content_rowid='id', tokenize='porter unicode61')"),
    ("CREATE TRIGGER utterances_fts_insert AFTER INSERT ON utterances BEGIN "
     "INSERT INTO utterances_fts(rowid, text) VALUES (new.id, new.text); END"),
    ("CREATE TRIGGER utterances_fts_delete AFTER DELETE ON utterances BEGIN "
     "INSERT INTO utterances_fts(utterances_fts, rowid, text) VALUES ('delete', old.id, old.text); END"),
    ("CREATE TRIGGER utterances_fts_update AFTER UPDATE ON utterances BEGIN "
     "INSERT INTO utterances_fts(utterances_fts, rowid, text) VALUES ('delete', old.id, old.text); "
     "INSERT INTO utterances_fts(rowid, text) VALUES (new.id, new.text); END"),
    "INSERT INTO utterances_fts(utterances_fts) VALUES ('rebuild')",
)
POSTGRES_FTS = (
    "CREATE INDEX ix_utterances_fts ON utterances USING gin (to_tsvector('english', text))",
)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_FTS, "postgresql": POSTGRES_FTS}.get(dialect, ()):
        op.execute(statement)
    # Plain ALTER TABLE (SQLite >= 3.35 drops columns too): a batch copy of `scorecards` would
    # drop the old table, and with foreign keys on, its cascades would empty the child tables.
    op.add_column("criterion_results", sa.Column("failed_title", sa.String(200), nullable=False, server_default=""))
    op.add_column("scorecards", sa.Column("rubric_sha256", sa.String(64), nullable=False, server_default=""))
    op.create_table(
        "review_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("scorecard_id", sa.Integer(), sa.ForeignKey("scorecards.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("criterion_id", sa.String(100), nullable=False),
        sa.Column("verdict", sa.String(20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("resolves_id", sa.Integer(), sa.ForeignKey("review_events.id"), nullable=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_review_events_scorecard_id", "review_events", ["scorecard_id"])
    op.create_index("ix_review_events_kind", "review_events", ["kind"])
    op.create_table(
        "rescore_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("rubric_id", sa.String(100), nullable=False),
        sa.Column("rubric_version", sa.String(50), nullable=False),
        sa.Column("rubric_sha256", sa.String(64), nullable=False),
        sa.Column("rubric_source", sa.Text(), nullable=False),
        sa.Column("since", sa.DateTime(), nullable=True),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("flips", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("applied_at", sa.DateTime(), nullable=True),
    )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER utterances_fts_{trigger}")
        op.execute("DROP TABLE utterances_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX ix_utterances_fts")
    op.drop_table("rescore_runs")
    op.drop_table("review_events")
    op.drop_column("scorecards", "rubric_sha256")
    op.drop_column("criterion_results", "failed_title")
