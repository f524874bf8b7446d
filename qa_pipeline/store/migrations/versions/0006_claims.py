"""Claims: which worker scores a call, and which calls are finished, for fanned-out runs.

Revision ID: 0006_claims
Revises: 0005_redaction
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_claims"
down_revision = "0005_redaction"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "claims",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("relpath", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("stamp", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("owner", sa.String(300), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
    )
    op.create_index("ix_claims_content_sha256", "claims", ["content_sha256"])
    op.create_index("ix_claims_status", "claims", ["status"])
    op.create_index("ix_claims_expires_at", "claims", ["expires_at"])


def downgrade() -> None:
    op.drop_table("claims")
