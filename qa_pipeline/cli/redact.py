"""`qa-pipeline redact`: re-redact what earlier versions wrote (output folders, caches, the store)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command(help="Re-redact existing outputs: scorecard folders (JSON, HTML, errors.json, redacted audio), "
                    "transcript caches and the results store. See docs/redaction.md.")
@click.argument("folders", nargs=-1, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--transcripts-cache", "caches", multiple=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A transcript cache folder to redact (repeatable).")
@click.option("--db", "db_url", default=None, metavar="URL", help="Results store URL to redact.")
@click.option("--redact", "redact_types", default=None, metavar="TYPES",
              help="PII types, as for `score --redact` (default: the settings file's).")
@click.option("--redaction-settings", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="Redaction settings YAML (default: $QA_PIPELINE_REDACTION).")
def command(folders, caches, db_url, redact_types, redaction_settings):
    from qa_pipeline.redact_existing import RedactReport, redact_cache, redact_folder, redact_store
    from qa_pipeline.redaction import load_settings

    if not (folders or caches or db_url):
        raise click.UsageError("name at least one output folder, --transcripts-cache or --db")
    settings = load_settings(redaction_settings, redact_types)
    if not settings.enabled:
        raise click.UsageError("redaction is off (--redact none or an empty types list): nothing to do")
    report = RedactReport()
    for folder in folders:
        redact_folder(folder, settings, report)
    for cache in caches:
        redact_cache(cache, settings, report)
    if db_url:
        from qa_pipeline.store import open_store

        store = open_store(db_url)
        try:
            redact_store(store, settings, report)
        finally:
            store.close()
    click.echo(f"redacted ({settings.label}): {report.scorecards} scorecard files, {report.audio} audio copies, "
               f"{report.transcripts} cached transcripts, {report.store_scorecards} stored scorecards", err=True)
