"""Redaction: the path of each call's redacted audio copy (PII silenced).

Revision ID: 0005_redaction
Revises: 0004_serious_errors
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_redaction"
down_revision = "0004_serious_errors"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("redacted_audio_path", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("redacted_audio_path")
