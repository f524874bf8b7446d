"""Bring a database to the newest schema with Alembic, without an alembic.ini."""

from __future__ import annotations

import threading

# Alembic's "package:folder" notation finds the migrations through importlib.resources,
# so an installed wheel migrates as a checkout does.
MIGRATIONS = "qa_pipeline.store:migrations"
# Any fixed number: PostgreSQL advisory lock that serialises concurrent first-time migrations.
_MIGRATION_LOCK = 0x51A_0001
# Alembic's `context` is a module-level proxy: two threads migrating at once would share it.
_THREAD_LOCK = threading.Lock()


def alembic_config(connection=None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    config.attributes["connection"] = connection
    return config


def upgrade(engine) -> None:
    """Apply every migration the database lacks; a no-op on an up-to-date one."""
    from alembic import command

    with _THREAD_LOCK, engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Several workers may open a fresh shared store at once; DDL is transactional
            # there, so the lock holds until this migration commits.
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
        command.upgrade(alembic_config(connection), "head")


def head_revision() -> str:
    """The newest migration's revision id."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
