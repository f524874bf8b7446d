"""`qa-pipeline db init`: create (or upgrade) the results store on purpose."""

from __future__ import annotations

import click


@click.group()
def command() -> None:
    """Create or upgrade the results store.

    The default store is $QA_PIPELINE_DB when set; otherwise a SQLite file,
    data/store/qa-pipeline.sqlite in a source checkout, or qa-pipeline.sqlite in
    the user data folder of an installed package (~/.local/share/qa-pipeline/ on Linux).
    `serve` and `user` refuse a store that does not exist yet; `score` and `import`
    create it as they save.
    """


@command.command("init")
@click.option("--db", "db_url", default=None, metavar="URL",
              help="Store URL (default: $QA_PIPELINE_DB, else the default SQLite file above).")
def init(db_url: str | None) -> None:
    """Create the store at URL with the newest schema; on an existing store, apply missing migrations."""
    from sqlalchemy import make_url

    from qa_pipeline.store import default_url, migrate, open_store

    url = db_url or default_url()
    store = open_store(url, create=True)
    try:
        revision = migrate.current_revision(store.engine)
    finally:
        store.close()
    shown = make_url(url).render_as_string(hide_password=True)
    click.echo(f"results store ready: {shown} (schema revision {revision})")
