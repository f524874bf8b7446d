"""The review web app: server-rendered pages over the results store (FastAPI + Jinja2)."""

from __future__ import annotations

__all__ = ["create_app"]


def create_app(*args, **kwargs):
    """Build the FastAPI app; see `qa_pipeline.web.app.create_app`."""
    from qa_pipeline.web.app import create_app as build

    return build(*args, **kwargs)
