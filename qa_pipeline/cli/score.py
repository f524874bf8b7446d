"""`qa-pipeline score`: score recordings and write scorecards (JSON, HTML, summary.csv, errors.json)."""

from __future__ import annotations

from pathlib import Path

import click

from qa_pipeline.cli.options import (
    agents_option,
    asr_time_limit_option,
    hotwords_option,
    language_option,
    redaction_settings_option,
    workers_option,
)
from qa_pipeline.errors import QAPipelineError
from qa_pipeline.vocabulary import site_vocabulary


def _note(message: str) -> None:
    click.echo(message, err=True)


def open_results_store(url: str | None, enabled: bool):
    """The results store, or None when disabled or unavailable.

    A store the user named with --db must open; the default store is a convenience, so
    when it cannot be opened the run still writes its files and says why it skipped it.
    """
    if not enabled:
        return None
    try:
        from qa_pipeline.store import open_store

        return open_store(url)
    except Exception as exc:  # noqa: BLE001 - any store failure is reported in one line
        reason = f"{type(exc).__name__}: {exc}" if not isinstance(exc, QAPipelineError) else str(exc)
        if url:
            raise click.ClickException(f"results store {url}: {reason}") from exc
        _note(f"note: results store not used ({reason}); scorecards are written to files only")
        return None


class AgentChannel(click.ParamType):
    """--agent-channel: "auto" (decided per call from what is said), 0 (left) or 1 (right)."""

    name = "auto|0|1"

    def convert(self, value, param, ctx):
        if value in ("auto", 0, 1):
            return value
        if str(value).strip().lower() in ("auto", "0", "1"):
            text = str(value).strip().lower()
            return text if text == "auto" else int(text)
        self.fail(f"{value!r} is not one of auto, 0, 1", param, ctx)


AGENT_CHANNEL = AgentChannel()
AGENT_CHANNEL_HELP = ("Channel that carries the agent in stereo recordings: auto (decided per call from what "
                      "is said, recorded on the scorecard), 0 (left) or 1 (right). A fixed channel wins; the "
                      "card warns when what is said disagrees.")


def asr_options(model: str | None, agent_channel: int | str, device: str = "cpu", compute_type: str = "int8",
                language: str | None = None, time_limit_s: float | None = None):
    from qa_pipeline.speech.asr import AsrOptions

    return AsrOptions(
        agent_channel=agent_channel, device=device, compute_type=compute_type, **({"model": model} if model else {}),
        **({"language": language} if language else {}), time_limit_s=time_limit_s,
    )


def run_rubric(rubric: str, language: str | None):
    """The run's rubric: in `language` when one is given (a clear error when the rubric has no
    file in it), else the base; each call is scored in its own language (`rubric.in_language`)."""
    from qa_pipeline.languages import AUTO
    from qa_pipeline.rubric import load_rubric

    return load_rubric(rubric, language=None if language in (None, AUTO) else language)


@click.command(help="Score recordings (files or folders, searched recursively) and write scorecards to --out.")
# exists=False: a missing input is reported in errors.json and the others are still scored.
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for <recording>.json/.html, summary.csv and errors.json.")
@click.option("--rubric", default="etiquette", show_default=True, help="Bundled rubric id or path to a rubric YAML.")
@click.option("--model", default=None,
              help="Whisper model: base or tiny.en (offline presets; tiny.en is English-only and about 1.7 "
                   "times as fast), a CTranslate2 folder, or a hub name. [default: $QA_PIPELINE_MODEL, else base]")
@click.option("--device", default="cpu", show_default=True, help="Where Whisper runs: cpu, cuda or auto.")
@click.option("--compute-type", default="int8", show_default=True, help="Whisper precision, e.g. int8, float16.")
@click.option("--agent-channel", type=AGENT_CHANNEL, default="auto", show_default=True, help=AGENT_CHANNEL_HELP)
@click.option("--db", "db_url", default=None, metavar="URL",
              help="Results store URL (default: $QA_PIPELINE_DB, else the default store; see `qa-pipeline db --help`).")
@click.option("--no-db", is_flag=True, help="Do not save scorecards into the results store.")
@click.option("--transcripts-cache", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Reuse transcripts of the same audio and model kept in this folder (kept redacted).")
@workers_option("Recordings scored")
@agents_option
@hotwords_option
@click.option("--redact", "redact_types", default=None, metavar="TYPES",
              help="PII redacted in everything written, comma-separated: card, phone, email, account, "
                   "date_of_birth, address, customer_name; or default, all, none "
                   "(default: the settings file's types, else all but customer_name).")
@redaction_settings_option
@language_option
@asr_time_limit_option
@click.option("--settle-s", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
              help="Leave a recording changed within this many seconds (or whose WAV/FLAC header is not "
                   "finished yet) for the next run, with the reason in errors.json; 0 turns the check off "
                   "(default: $QA_PIPELINE_SETTLE_S, else 10).")
def command(inputs, out_dir, rubric, model, device, compute_type, agent_channel, db_url, no_db, transcripts_cache,
            workers, agents, hotwords, redact_types, redaction_settings, language, asr_time_limit_s, settle_s):
    from qa_pipeline.batch import discover_recordings, score_paths
    from qa_pipeline.concurrency import default_workers, with_workers
    from qa_pipeline.discovery import ignored_files
    from qa_pipeline.growing import default_settle_s
    from qa_pipeline.pipeline import CallPipeline, PipelineSettings
    from qa_pipeline.redaction import load_settings
    from qa_pipeline.redaction.filenames import public_path
    from qa_pipeline.report import ERRORS_JSON

    redaction = load_settings(redaction_settings, redact_types)
    recordings = discover_recordings(inputs)
    ignored = ignored_files(inputs)
    if ignored:
        _note(f"note: {len(ignored)} file(s) not scored (not a recording format this tool reads): "
              + ", ".join(public_path(p.name, redaction) for p in ignored[:5]) + (", ..." if len(ignored) > 5 else ""))
    if not recordings:
        raise click.ClickException(f"no audio recordings found in {', '.join(map(str, inputs))}")
    workers = workers or default_workers()
    settings = PipelineSettings(
        rubric=run_rubric(rubric, language),
        asr_options=with_workers(asr_options(model, agent_channel, device, compute_type, language, asr_time_limit_s), workers),
        redaction=redaction,
        vocabulary=site_vocabulary(agents, hotwords),
        cache_dir=transcripts_cache,
        settle_s=default_settle_s() if settle_s is None else settle_s,
    )
    store = open_results_store(db_url, enabled=not no_db)
    try:
        result = score_paths(recordings, CallPipeline(settings), out_dir, store, _note, workers)
    finally:
        if store is not None:
            store.close()
    total = len(result.scored) + len(result.failures)
    _note(f"scored {len(result.scored)} of {total} recordings into {out_dir}"
          + (f"; {len(result.failures)} could not be scored, see {out_dir / ERRORS_JSON}" if result.failures else ""))
    if not result.scored:
        raise click.ClickException("no recording could be scored")
    if result.not_saved:
        raise click.ClickException(f"{result.not_saved} scorecard(s) were written but not saved into the results "
                                   f"store; see {out_dir / ERRORS_JSON}")
