"""Roles on scorecards: a `roles` JSON column saying how the speaker roles were found.

Only that column is added. The revision id keeps its first name, `0003_voiceprints` (voiceprints
were planned here and never added), because databases record the id they are at: renaming it
would leave them unable to upgrade.

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
