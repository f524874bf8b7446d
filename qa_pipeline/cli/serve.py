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
    envvar="QA_PIPELINE_AUDIO_ROOT",
    show_envvar=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder holding the recordings and the scoring output (the redacted copies the app plays); "
         "nothing outside it is ever served.",
)
@click.option("--session-hours", default=8.0, show_default=True, type=click.FloatRange(min=0.01),
              help="Log-in sessions expire after this long.")
@click.option("--secure-cookies", is_flag=True, help="Send cookies over HTTPS only (behind a TLS proxy).")
@click.option("--trusted-proxy", "trusted_proxies", multiple=True, metavar="ADDRESS",
              help="A reverse proxy (address or network, repeatable) whose X-Forwarded-For names the client "
                   "for the per-address login limit. None by default: the header is ignored.")
@click.option("--weekly-target", default=3, show_default=True, type=click.IntRange(min=0),
              help="Review queue: scorecards per agent to review each week; agents below it rank first "
                   "after disputes, serious errors and unsure verdicts.")
@click.option("--low-confidence", default=0.6, show_default=True, type=click.FloatRange(0, 1),
              help="Review queue: machine verdicts below this confidence need a person.")
@click.option("--alert-override-rate", default=0.2, show_default=True, type=click.FloatRange(0, 1),
              help="Calibration: flag a criterion when supervisors changed more than this share of the verdicts "
                   "they judged in its latest month.")
def command(host: str, port: int, db_url: str | None, audio_root: Path, session_hours: float, secure_cookies: bool,
            trusted_proxies: tuple[str, ...], weekly_target: int, low_confidence: float,
            alert_override_rate: float) -> None:
    """Serve the calls list, call pages, agent pages, trainer library and calibration report.

    Refuses to start on a store that does not exist yet (a mistyped --db would
    otherwise give an empty store where every log-in fails). Failed log-ins are
    throttled per account and per client address; each lockout is logged on stderr.
    """
    import uvicorn

    from qa_pipeline.web.app import create_app
    from qa_pipeline.web.routes.review import ReviewSettings

    app = create_app(db_url, audio_root, session_ttl_s=session_hours * 3600, secure_cookies=secure_cookies,
                     trusted_proxies=trusted_proxies,
                     review_settings=ReviewSettings(weekly_target, low_confidence, alert_override_rate))
    _log_to_stderr()
    click.echo(f"review app on http://{host}:{port}/  (recordings from {audio_root.resolve()})")
    _warn_missing_audio(app, audio_root)
    # The app reads X-Forwarded-For itself, from trusted proxies only (uvicorn would trust loopback).
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)


AUDIO_CHECKED = 200  # the latest calls checked for a playable recording at start


def _warn_missing_audio(app, audio_root: Path) -> None:
    """Say at start when stored calls have no recording under the audio root (the player shows why per call)."""
    from qa_pipeline.web.audio import missing_audio

    stored = app.state.store.stored_audio(AUDIO_CHECKED)
    missing = missing_audio(audio_root.resolve(), stored)
    if missing:
        example = Path(missing[0].redacted_audio_path or missing[0].audio_path).name
        click.echo(f"warning: {len(missing)} of the {len(stored)} latest stored calls have no recording inside "
                   f"{audio_root.resolve()} (e.g. {example}); their pages will not play. Point --audio-root "
                   "(or $QA_PIPELINE_AUDIO_ROOT) at the folder holding the recordings and the scoring output.",
                   err=True)


def _log_to_stderr() -> None:
    """The app's own warnings (login lockouts) on stderr with a time stamp, beside uvicorn's."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("qa_pipeline")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
