"""The results store: scorecards, transcripts, evidence, users and supervisor overrides.

Any SQLAlchemy URL works, PostgreSQL (`postgresql+psycopg://...`) included. The
default is a SQLite file (see `default_path`): `data/store/qa-pipeline.sqlite`
when running from a source checkout, else `qa-pipeline.sqlite` in the user's data
folder (`~/.local/share/qa-pipeline/` on Linux, as `platformdirs` names it).
SQLAlchemy loads only when a store is opened, so importing this package stays cheap.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from qa_pipeline.files import source_checkout

if TYPE_CHECKING:
    from qa_pipeline.store.repository import Store

ENV_VAR = "QA_PIPELINE_DB"
APP_NAME = "qa-pipeline"
STORE_FILE = "qa-pipeline.sqlite"

__all__ = ["ENV_VAR", "Store", "default_path", "default_url", "open_store"]


def __getattr__(name: str):
    if name == "Store":
        from qa_pipeline.store.repository import Store

        return Store
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def default_path() -> Path:
    """The default SQLite file: `<checkout>/data/store/` in a checkout, else the user data folder."""
    checkout = source_checkout()
    if checkout is not None:
        return checkout / "data" / "store" / STORE_FILE
    import platformdirs

    return platformdirs.user_data_path(APP_NAME) / STORE_FILE


def default_url() -> str:
    """The store URL to use when none is given: `$QA_PIPELINE_DB`, else the default SQLite file."""
    return os.environ.get(ENV_VAR) or f"sqlite:///{default_path()}"


def open_store(url: str | None = None, create: bool = True) -> Store:
    """Open the store at `url` or `default_url()` and bring it to the newest schema.

    With `create=False` a store that was never initialised (a SQLite file that does not
    exist, or a database without the store's tables) raises `ConfigError` instead of
    being created: `qa-pipeline db init` creates one on purpose.
    """
    from qa_pipeline.store.repository import Store

    return Store.open(url or default_url(), create=create)
