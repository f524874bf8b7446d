"""`qa-pipeline serve`: run the review web app."""

from __future__ import annotations

import logging
from pathlib import Path

import click


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--db", "db_url", default=None,
              help="Store URL (default: $QA_PIPELINE_DB, else the default store). It must exist: "
                   "`qa-pipeline db init` creates one, `score` and `import` fill one.")
@click.option(
    "--audio-root",
    default=".",
    show_default=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder holding the recordings; nothing outside it is ever served.",
)
@click.option("--session-hours", default=8.0, show_default=True, type=click.FloatRange(min=0.01),
              help="Log-in sessions expire after this long.")
@click.option("--secure-cookies", is_flag=True, help="Send cookies over HTTPS only (behind a TLS proxy).")
@click.option("--trusted-proxy", "trusted_proxies", multiple=True, metavar="ADDRESS",
              help="A reverse proxy (address or network, repeatable) whose X-Forwarded-For names the client "
                   "for the per-address login limit. None by default: the header is ignored.")
def command(host: str, port: int, db_url: str | None, audio_root: Path, session_hours: float, secure_cookies: bool,
            trusted_proxies: tuple[str, ...]) -> None:
    """Serve the calls list, call pages, agent pages, trainer library and calibration report.

    Refuses to start on a store that does not exist yet (a mistyped --db would
    otherwise give an empty store where every log-in fails). Failed log-ins are
    throttled per account and per client address; each lockout is logged on stderr.
    """
    import uvicorn

    from qa_pipeline.web.app import create_app

    app = create_app(db_url, audio_root, session_ttl_s=session_hours * 3600, secure_cookies=secure_cookies,
                     trusted_proxies=trusted_proxies)
    _log_to_stderr()
    click.echo(f"review app on http://{host}:{port}/  (recordings from {audio_root.resolve()})")
    # The app reads X-Forwarded-For itself, from trusted proxies only (uvicorn would trust loopback).
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)


def _log_to_stderr() -> None:
    """The app's own warnings (login lockouts) on stderr with a time stamp, beside uvicorn's."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("qa_pipeline")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
