"""Alembic environment: runs on the connection `qa_pipeline.store.migrate` hands it."""

from alembic import context

from qa_pipeline.store.schema import Base, include_name

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                  include_name=include_name)
with context.begin_transaction():
    context.run_migrations()
