"""Prefect flow: score the new and changed recordings in an inbox, nightly or on demand.

One task chain per call (fetch, load, transcribe, score, write, save, record), calls run
in parallel on a bounded thread pool that shares one loaded Whisper model per process.
Only I/O tasks retry. A call that cannot be processed is quarantined with its reason
and the run goes on. Outputs are written atomically and a call is recorded in the
ledger only after its outputs are on disk, so a re-run skips finished calls and a run
killed halfway is finished by the next one. All logic lives in `qa_pipeline`; the
tasks here only call it.

    python flows/score_calls.py INBOX --out DIR           # one run, embedded Prefect server
    python flows/score_calls.py INBOX --out DIR --serve   # nightly schedule, served from here
    prefect deploy --all                                  # or: the deployment in prefect.yaml
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.settings import temporary_settings
from prefect.task_runners import ThreadPoolTaskRunner

from qa_pipeline import inbox as ib
from qa_pipeline import ledger as lg
from qa_pipeline.concurrency import WORKERS_ENV, default_workers, with_workers
from qa_pipeline.errors import QAPipelineError, RecordingError
from qa_pipeline.pipeline import CallPipeline, CallSource, PipelineSettings, Scored, failure_reason
from qa_pipeline.report import Failure

DEFAULT_WORKERS = default_workers()
NIGHTLY_CRON = "0 2 * * *"
STAGING = ".staging"
DEFAULT_STORE = "default"
# Audio arrays must not be hashed into cache keys: that would cost more than the work.
TASK = {"cache_policy": NO_CACHE}


def _transient(task, task_run, state) -> bool:
    """Retry an I/O error, not a missing file or a recording or setting that is wrong."""
    exc = state.result(raise_on_failure=False)
    return not isinstance(exc, (QAPipelineError, FileNotFoundError, NotADirectoryError))


# Network shares and object stores hiccup; a bad recording does not get better by retrying.
IO_RETRIES = {"retries": 3, "retry_delay_seconds": [2, 10, 30], "retry_condition_fn": _transient}


@task(name="find-new-recordings", **TASK, **IO_RETRIES)
def find_new_recordings(inbox: str, out: str, rubric: str, asr_model: str, retry_quarantined: bool) -> ib.Plan:
    """List the inbox, identify each recording, and keep those without a ledger line."""
    ledger = lg.Ledger(out)
    ledger.repair()
    entries = ledger.entries()
    calls = ib.identify(ib.list_inbox(inbox), entries.values(), rubric, asr_model)
    return ib.plan_run(calls, entries, retry_quarantined)


@task(name="prepare-asr", **TASK)
def prepare_asr(options) -> str:
    """Load the Whisper model before the calls fan out, so the workers share one load."""
    from qa_pipeline.speech.asr import load_model, model_label

    load_model(options)
    return model_label(options)


@task(name="fetch", **TASK, **IO_RETRIES)
def fetch(call: ib.Call, out: str) -> Path:
    return ib.fetch(call, Path(out) / STAGING)


def prefect_steps(step: str, run):
    """The pipeline's hook in a flow: each step of a call is a Prefect task run of its own."""
    return task(name=step, **TASK)(run)()


@task(name="score-call", **TASK)
def score_call(call: ib.Call, local: Path, run: "RunSettings") -> Scored:
    """The call through the pipeline; its outputs are written into the call's staging folder."""
    staged = Path(run.out) / STAGING / call.key / "out"
    shutil.rmtree(staged, ignore_errors=True)
    source = CallSource(local, run.stems[call.file.relpath], call.file.url, call.content_sha256)
    outcome = run.pipeline.run_safely(source, staged)
    if isinstance(outcome, Failure):
        raise RecordingError(call.file.relpath, outcome.reason)
    return outcome


@task(name="publish", **TASK, **IO_RETRIES)
def publish(scored: Scored, call: ib.Call, run: "RunSettings") -> tuple[str, ...]:
    """Move the call's outputs into place (each file atomically), then save the card into the store."""
    published = lg.publish(scored.outputs, ib.output_dir_for(run.out, call))
    if run.store is not None:
        audio = next((p for p in published if p.endswith(".redacted.flac")), None)
        run.pipeline.save(run.store, scored, audio)
    return tuple(Path(os.path.relpath(p, run.out)).as_posix() for p in published)


@task(name="record-done", **TASK, **IO_RETRIES)
def record(call: ib.Call, scored: Scored, outputs: tuple[str, ...], out: str) -> lg.LedgerEntry:
    """Mark the call done; runs only after its outputs are on disk and in the store."""
    entry = lg.scored_entry(call, scored.card, outputs)
    lg.Ledger(out).append(entry)
    shutil.rmtree(Path(out) / STAGING / call.key, ignore_errors=True)
    return entry


@task(name="quarantine", **TASK, **IO_RETRIES)
def quarantine(call: ib.Call, reason: str, out: str, redaction=None) -> lg.LedgerEntry:
    from qa_pipeline.redaction.scorecard import redact_text

    entry = lg.entry_for(call, lg.QUARANTINED, reason=redact_text(reason, redaction))
    lg.Ledger(out).append(entry)
    shutil.rmtree(Path(out) / STAGING / call.key, ignore_errors=True)
    return entry


@task(name="write-quarantine", **TASK, **IO_RETRIES)
def write_quarantine(plan: ib.Plan, out: str) -> Path:
    calls = (*plan.pending, *plan.already_done)
    return lg.write_quarantine(out, lg.current_quarantine(calls, lg.Ledger(out).entries()))


STAGES = ("fetch", "score", "publish", "record")


@dataclass(frozen=True)
class RunSettings:
    """What every call of one run shares: the out folder, the pipeline, the open store, output names."""

    out: str
    pipeline: CallPipeline
    store: Any  # an open results store, or None
    stems: Mapping[str, str]

    @property
    def redaction(self):
        return self.pipeline.settings.redaction


def run_asr_options(model: str | None, agent_channel: int | str = "auto", workers: int = 1):
    """The ASR options of a run: the model (None: the bundled default), the agent channel,
    and the model sized for `workers` calls at once, as the CLI's --workers does."""
    from qa_pipeline.speech.asr import AsrOptions

    return with_workers(AsrOptions(agent_channel=agent_channel, **({"model": model} if model else {})), max(1, workers))


def run_pipeline(rubric: str, model: str | None, agent_channel: int | str, workers: int, redact: str | None,
                 agents: str | None, hotwords: bool, transcripts_cache: str | None) -> CallPipeline:
    """The run's `CallPipeline`, from the flow's parameters (as `qa-pipeline score` builds it from its options)."""
    from qa_pipeline.redaction import load_settings
    from qa_pipeline.rubric import load_rubric
    from qa_pipeline.vocabulary import site_vocabulary

    settings = PipelineSettings(
        rubric=load_rubric(rubric),
        asr_options=run_asr_options(model, agent_channel, workers),
        redaction=load_settings(types=redact),
        vocabulary=site_vocabulary(Path(agents) if agents else None, hotwords),
        cache_dir=Path(transcripts_cache) if transcripts_cache else None,
    )
    return CallPipeline(settings, prefect_steps)


def submit_calls(calls: list[ib.Call], run: RunSettings) -> list[tuple]:
    """Submit each call's chain of tasks, stage by stage; per call its futures (fetch, score, publish).

    A task waits for its inputs on a pool thread, so every stage is submitted after the
    one it depends on: no thread ever waits on work queued behind it. The fan-out flow
    (`flows/nightly.py`) scores its claimed calls through the same chain.
    """
    local = [fetch.submit(c, run.out) for c in calls]
    scored = [score_call.submit(c, p, run) for c, p in zip(calls, local)]
    published = [publish.submit(s, c, run) for s, c in zip(scored, calls)]
    return list(zip(local, scored, published))


def _score_window(calls: list[ib.Call], run: RunSettings) -> Iterator[lg.LedgerEntry]:
    """Score one window of calls, then record each call's outcome in the ledger."""
    chains = submit_calls(calls, run)
    done = [record.submit(c, chain[1], chain[2], run.out) for c, chain in zip(calls, chains)]
    for call, chain in zip(calls, (chain + (d,) for chain, d in zip(chains, done))):
        chain[-1].wait()
        if chain[-1].state.is_completed():
            yield chain[-1].result()
        else:
            yield quarantine(call, _first_failure(chain), run.out, run.redaction)


def _first_failure(chain) -> str:
    """The reason the earliest failed stage gives (later stages only saw it fail)."""
    for stage, future in zip(STAGES, chain):
        future.wait()
        if future.state.is_failed():
            exc = future.state.result(raise_on_failure=False)
            if isinstance(exc, RecordingError):
                return exc.reason
            return f"{stage}: {failure_reason(exc) if isinstance(exc, Exception) else future.state.message}"
    return "did not finish"


# How Prefect names an expected failure in a "Finished in state Failed(...)" message.
_EXPECTED = ("RecordingError", "QAPipelineError")


class _ExpectedFailures(logging.Filter):
    """Drop Prefect's task-failure records for a recording that cannot be scored.

    Prefect logs every failed task with its traceback and every task behind it as
    "Finished in state NotReady". A `QAPipelineError` is an expected outcome: the flow
    logs one line for the recording with its reason and quarantines it. Any other
    exception keeps Prefect's records, traceback included.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, QAPipelineError):
            return False
        message = record.getMessage()
        if message.startswith("Finished in state"):
            return not ("NotReady" in message or any(f"exception {n}:" in message for n in _EXPECTED))
        return True


def quiet_expected_failures() -> None:
    """Install `_ExpectedFailures` on Prefect's task-run logger (once)."""
    task_log = logging.getLogger("prefect.task_runs")
    if not any(isinstance(f, _ExpectedFailures) for f in task_log.filters):
        task_log.addFilter(_ExpectedFailures())


def _windows(items: Iterable, size: int) -> Iterator[list]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _open_store(store: str | None):
    """The results store: the default one if it opens, a named one or fail, or none."""
    logger = get_run_logger()
    if not store or store.lower() == "none":
        return None
    from qa_pipeline.store import open_store

    if store != DEFAULT_STORE:
        return open_store(store)
    try:
        return open_store(None)
    except Exception as exc:  # noqa: BLE001 - the default store is a convenience, files are the record
        logger.warning("results store not used (%s); scorecards are written to files only", failure_reason(exc))
        return None


def _publish_summary(summary: lg.RunSummary, inbox: str) -> None:
    create_markdown_artifact(
        key="score-calls-summary",
        markdown=lg.summary_markdown(summary, title=f"Call scoring run: {inbox}"),
        description="Calls scored and failed, mean score, per-criterion pass rate",
    )
    if summary.pass_rates:
        create_table_artifact(
            key="criterion-pass-rates",
            table=lg.pass_rate_rows(summary),
            description="Per-criterion pass rate over the calls scored in this run",
        )


@flow(
    name="score-calls",
    # Concurrency is bounded by `workers` (calls in flight), not by the pool: tasks
    # waiting for their inputs hold a thread each without using a core.
    task_runner=ThreadPoolTaskRunner(),
    description="Score new and changed recordings in an inbox; quarantine the ones that fail.",
)
def score_calls(
    inbox: str,
    out: str,
    rubric: str = "etiquette",
    model: str | None = None,
    agent_channel: int | str = "auto",
    workers: int = DEFAULT_WORKERS,
    store: str | None = DEFAULT_STORE,
    retry_quarantined: bool = False,
    redact: str | None = None,
    agents: str | None = None,
    hotwords: bool = False,
    transcripts_cache: str | None = None,
) -> lg.RunSummary:
    """Score every recording in `inbox` that has no scorecard yet for this rubric and model.

    At most `workers` calls are in flight at once, sharing one Whisper model per process
    and the cores as the CLI's --workers does (`qa_pipeline.concurrency.with_workers`).
    `store` is "default" (the project store if it opens), a SQLAlchemy URL, or "none".
    `redact` is the PII types redacted in everything written, as `qa-pipeline score
    --redact` takes them (None: the settings file's, `$QA_PIPELINE_REDACTION`). `agents`
    (a roster CSV), `hotwords` and `transcripts_cache` are `qa-pipeline score`'s options.
    Returns the run summary; the run's Prefect artifacts show the same.
    """
    from qa_pipeline.speech.asr import model_label

    logger = get_run_logger()
    pipeline = run_pipeline(rubric, model, agent_channel, workers, redact, agents, hotwords, transcripts_cache)
    options = pipeline.settings.asr_options
    quiet_expected_failures()
    plan = find_new_recordings(inbox, out, pipeline.settings.rubric.label, model_label(options), retry_quarantined)
    logger.info("%d to score, %d already done, %d duplicate content",
                len(plan.pending), len(plan.already_done), len(plan.duplicates))
    for dup, first in plan.duplicates:
        logger.info("skipped %s: same audio as %s", dup.file.relpath, first)
    finished: list[lg.LedgerEntry] = []

    def done(entry: lg.LedgerEntry) -> None:
        finished.append(entry)
        logger.info("[%d/%d] %s: %s", len(finished), len(plan.pending), entry.relpath, _outcome(entry))

    # Entries found faulty while listing (a broken link, a folder named x.wav) are
    # quarantined one by one; the rest of the inbox is scored as usual.
    for call in (c for c in plan.pending if c.fault):
        done(quarantine(call, call.fault, out, pipeline.settings.redaction))
    readable = [c for c in plan.pending if not c.fault]
    if readable:
        prepare_asr(options)
        stems = ib.output_stems_for((*plan.pending, *plan.already_done))
        run = RunSettings(out, pipeline, _open_store(store), stems)
        try:
            for window in _windows(readable, max(1, workers)):
                for entry in _score_window(window, run):
                    done(entry)
        finally:
            if run.store is not None:
                run.store.close()
    write_quarantine(plan, out)
    _remove_empty(Path(out) / STAGING)
    summary = lg.summarize(finished, plan)
    _publish_summary(summary, inbox)
    return summary


def _remove_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass  # absent, or holding a call another run is working on


def _outcome(entry: lg.LedgerEntry) -> str:
    if entry.status == lg.QUARANTINED:
        return f"quarantined ({entry.reason})"
    return "scored" if entry.score is None else f"score {entry.score:.1f}"


def _embedded_server_settings() -> dict:
    """Offline, the embedded server's telemetry fails and logs every try; and on a busy
    machine the server can take longer to start than Prefect's 20 s default."""
    from prefect import settings

    updates = {settings.PREFECT_SERVER_ANALYTICS_ENABLED: False}
    if "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS" not in os.environ:
        updates[settings.PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS] = 120
    return updates


def _serve(cron: str, params: dict) -> int:
    """Serve the flow on a schedule; only a real server runs schedules, not the embedded one."""
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        print("error: --serve needs a Prefect server: start one with `prefect server start` and set "
              "PREFECT_API_URL (see docs/operations.md)", file=sys.stderr)
        return 2
    score_calls.serve(name="score-calls-nightly", cron=cron, parameters=params)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="score_calls.py",
        description="Score the new and changed recordings in an inbox with Prefect. Without a "
        "configured Prefect server (PREFECT_API_URL) the run uses Prefect's embedded server.",
    )
    parser.add_argument("inbox", help="folder or fsspec URL (file://, s3://, ...) of recordings; subfolders are searched")
    parser.add_argument("--out", required=True, help="output folder: scorecards, ledger.jsonl, quarantine.json")
    parser.add_argument("--rubric", default="etiquette", help="bundled rubric id or rubric YAML path (default: %(default)s)")
    parser.add_argument("--model", default=None, help="Whisper model (default: the bundled tiny.en)")
    parser.add_argument("--agent-channel", type=_agent_channel, default="auto",
                        help="channel carrying the agent: auto (found per call from what is said), "
                             "0 (left) or 1 (right) (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS,
                        help=f"calls transcribed at once (default: ${WORKERS_ENV} or %(default)s)")
    parser.add_argument("--db", default=DEFAULT_STORE, metavar="URL",
                        help="results store URL (default: $QA_PIPELINE_DB or the project SQLite file, if it opens)")
    parser.add_argument("--no-db", action="store_true", help="do not save into the results store")
    parser.add_argument("--redact", default=None, metavar="TYPES",
                        help="PII types redacted in everything written, as for `qa-pipeline score --redact` "
                             "(default: the redaction settings file's, else all but customer_name; none: off)")
    parser.add_argument("--agents", default=None, metavar="CSV",
                        help="the site's agent roster (agent_id,name[,aliases]), as for `qa-pipeline score --agents`")
    parser.add_argument("--hotwords", action="store_true",
                        help="give Whisper the agent's names and the rubric's vocabulary, as `qa-pipeline score --hotwords`")
    parser.add_argument("--transcripts-cache", default=None, metavar="DIR",
                        help="reuse transcripts of the same audio and settings kept here (kept redacted)")
    parser.add_argument("--retry-quarantined", action="store_true", help="try quarantined recordings again")
    parser.add_argument("--serve", action="store_true",
                        help="serve the flow from this process on the --cron schedule instead of running once")
    parser.add_argument("--cron", default=NIGHTLY_CRON, help="schedule for --serve (default: %(default)r, nightly)")
    return parser


def _agent_channel(text: str) -> int | str:
    if text.strip().lower() == "auto":
        return "auto"
    if text.strip() in ("0", "1"):
        return int(text)
    raise argparse.ArgumentTypeError(f"{text!r} is not one of auto, 0, 1")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.workers < 1:
        _parser().error("--workers must be at least 1")
    params = {
        "inbox": args.inbox,
        "out": str(Path(args.out).resolve()),
        "rubric": args.rubric,
        "model": args.model,
        "agent_channel": args.agent_channel,
        "workers": args.workers,
        "store": "none" if args.no_db else args.db,
        "retry_quarantined": args.retry_quarantined,
        "redact": args.redact,
        "agents": args.agents,
        "hotwords": args.hotwords,
        "transcripts_cache": args.transcripts_cache,
    }
    if args.serve:
        return _serve(args.cron, params)
    try:
        with temporary_settings(updates=_embedded_server_settings()):
            summary = score_calls(**params)
    except (QAPipelineError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(lg.summary_markdown(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
