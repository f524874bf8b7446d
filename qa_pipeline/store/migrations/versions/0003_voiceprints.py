"""Roles on scorecards (how speaker roles were found) and agents' voiceprints.

Revision ID: 0003_voiceprints
Revises: 0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_voiceprints"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scorecards") as batch:
        batch.add_column(sa.Column("roles", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scorecards") as batch:
        batch.drop_column("roles")
