"""`qa-pipeline rescore`: what a rubric change does to stored calls, and applying it."""

from __future__ import annotations

from datetime import datetime

import click


@click.command()
@click.option("--rubric", "rubric_ref", required=True, help="The new rubric: a YAML path or a bundled rubric id.")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Only calls made on or after this day (YYYY-MM-DD); calls of unknown time are then left out.")
@click.option("--apply", "apply_", is_flag=True,
              help="After printing and storing the diff, save the re-scored cards into the store.")
@click.option("--db", "db_url", default=None, help="Store URL (default: $QA_PIPELINE_DB, else the default store).")
def command(rubric_ref: str, since: datetime | None, apply_: bool, db_url: str | None) -> None:
    """Re-score the stored calls of the rubric's id with RUBRIC, print and store the verdict diff.

    Each call's latest card under that rubric id is re-scored from its stored transcript
    (no ASR; see qa_pipeline.rescore for what the store keeps). Nothing replaces a card
    unless --apply is given. A rubric that keeps the id and version of stored cards but
    changed content is refused for --apply: give it a new version.
    """
    from qa_pipeline.errors import ConfigError
    from qa_pipeline.rescore import flips, report, rescored
    from qa_pipeline.rubric import load_rubric
    from qa_pipeline.store import open_store

    rubric = load_rubric(rubric_ref)
    store = open_store(db_url, create=False)
    try:
        sources = store.rescore_sources(rubric.id, since)
        new_cards = [(detail, rescored(detail.card, rubric)) for detail in sources]
        changes = [f for detail, card in new_cards for f in flips(detail.card, card, detail.scorecard_id)]
        click.echo(report(rubric, len(sources), changes))
        run = store.save_rescore_run(rubric.id, rubric.version, rubric.sha256, since, len(sources),
                                     [f.as_dict() for f in changes])
        click.echo(f"diff stored as rescore run {run}")
        if not apply_:
            click.echo("nothing replaced: run again with --apply to save the re-scored cards")
            return
        other = store.rubric_conflict(rubric.id, rubric.version, rubric.sha256)
        if other:
            raise ConfigError(f"rubric {rubric.id}/{rubric.version} has changed since stored cards were scored with "
                              f"it (content {rubric.sha256[:12]}, stored {other[:12]}): give it a new version")
        for detail, card in new_cards:
            store.save_scorecard(card, detail.content_sha256, detail.audio_path,
                                 call_time=detail.call_time.isoformat() if detail.call_time else None,
                                 redacted_audio=detail.redacted_audio_path)
        store.mark_rescore_applied(run)
        click.echo(f"applied: {len(new_cards)} card{'s' if len(new_cards) != 1 else ''} saved as "
                   f"{rubric.id}/{rubric.version}")
    finally:
        store.close()


