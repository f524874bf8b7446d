"""The results store: scorecards, transcripts, evidence, users and supervisor overrides.

SQLite in `data/store/qa-pipeline.sqlite` by default; any SQLAlchemy URL works,
PostgreSQL (`postgresql+psycopg://...`) included. SQLAlchemy loads only when a
store is opened, so importing this package stays cheap.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qa_pipeline.store.repository import Store

ENV_VAR = "QA_PIPELINE_DB"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PATH = PROJECT_ROOT / "data" / "store" / "qa-pipeline.sqlite"

__all__ = ["ENV_VAR", "Store", "default_url", "open_store"]


def __getattr__(name: str):
    if name == "Store":
        from qa_pipeline.store.repository import Store

        return Store
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def default_url() -> str:
    """The store URL to use when none is given: `$QA_PIPELINE_DB`, else the project's SQLite file."""
    return os.environ.get(ENV_VAR) or f"sqlite:///{DEFAULT_PATH}"


def open_store(url: str | None = None) -> "Store":
    """Open (creating and migrating if needed) the store at `url` or `default_url()`."""
    from qa_pipeline.store.repository import Store

    return Store.open(url or default_url())
