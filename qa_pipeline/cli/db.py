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


@command.command("roster")
@click.argument("agents_csv", type=click.Path(exists=True, dir_okay=False))
@click.option("--db", "db_url", default=None, metavar="URL",
              help="Store URL (default: $QA_PIPELINE_DB, else the default SQLite file above).")
def roster(agents_csv: str, db_url: str | None) -> None:
    """Give the store the agents' names from an agent roster CSV (agent_id,name[,aliases]).

    The review app then shows "Anna (agent-anna)" where it showed the id. Run it again
    after the roster changes; agents not in the store yet are added.
    """
    from qa_pipeline.store import open_store
    from qa_pipeline.vocabulary import read_roster

    agents = read_roster(agents_csv).agents
    store = open_store(db_url, create=False)
    try:
        store.set_agent_names({a.agent_id: a.name for a in agents})
    finally:
        store.close()
    click.echo(f"{len(agents)} agent name{'s' if len(agents) != 1 else ''} stored")
