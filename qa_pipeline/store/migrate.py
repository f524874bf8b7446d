"""Bring a database to the newest schema with Alembic, without an alembic.ini."""

from __future__ import annotations

from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection=None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine) -> None:
    """Apply every migration the database lacks; a no-op on an up-to-date one."""
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")


def current_revision(engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
