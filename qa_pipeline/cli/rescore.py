"""`qa-pipeline rescore`: what a rubric change does to stored calls, and applying it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

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
    unless --apply is given here or a supervisor applies the stored diff in the review app
    (Rubric changes page). A rubric that keeps the id and version of stored cards but changed
    content is refused: give it a new version.
    """
    from qa_pipeline import rescore
    from qa_pipeline.rubric import load_rubric
    from qa_pipeline.store import open_store

    rubric = load_rubric(rubric_ref)
    store = open_store(db_url, create=False)
    try:
        pairs, changes = rescore.diff_stored(store, rubric, since)
        click.echo(rescore.report(rubric, len(pairs), changes))
        source = str(Path(rubric.source).resolve())  # the app re-loads it from wherever it runs
        run = store.save_rescore_run(rubric.id, rubric.version, rubric.sha256, source, since, len(pairs),
                                     [f.as_dict() for f in changes])
        click.echo(f"diff stored as rescore run {run}")
        if not apply_:
            click.echo("nothing replaced: run again with --apply, or apply it on the app's Rubric changes page")
            return
        applied = rescore.apply(store, rubric, pairs)
        store.mark_rescore_applied(run)
        click.echo(f"applied: {applied.saved} card{'s' if applied.saved != 1 else ''} saved as "
                   f"{rubric.id}/{rubric.version}; {applied.carried} supervisor override(s) carried over")
        for call, criterion in applied.flagged:
            click.echo(f"  flagged for review: {call} {criterion} (its verdict changed under a supervisor override)")
    finally:
        store.close()
