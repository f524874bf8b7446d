"""Criterion results keep the rubric's title and the serious error a fail means.

Revision ID: 0004_serious_errors
Revises: 0003_voiceprints
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_serious_errors"
down_revision = "0003_voiceprints"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("criterion_results") as batch:
        batch.add_column(sa.Column("title", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("serious_error", sa.String(200), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("criterion_results") as batch:
        batch.drop_column("serious_error")
        batch.drop_column("title")
