"""Prefect flow: score the new and changed recordings in an inbox, nightly or on demand.

One task chain per call (claim, fetch, score-call, publish, finish-claim), calls run in
parallel on a bounded thread pool that shares one loaded Whisper model per process. Only
I/O tasks retry. A call that cannot be processed is quarantined with its reason and the
run goes on. The run keeps track of its calls as the fan-out flow does, in the claims of
a results store (`qa_pipeline.store.claims`; `OUT/.run-state.sqlite` when it saves into
none): a call is claimed before it is scored and marked done only after its outputs are
on disk and in the store, so a re-run skips finished calls and a run killed halfway is
finished by the next one. All logic lives in `qa_pipeline`; the tasks here only call it.

    python flows/score_calls.py INBOX --out DIR           # one run, embedded Prefect server
    python flows/score_calls.py INBOX --out DIR --serve   # nightly schedule, served from here
    prefect deploy --all                                  # or: the deployment in prefect.yaml
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import socket
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run as current_run
from prefect.settings import temporary_settings
from prefect.task_runners import ThreadPoolTaskRunner

from qa_pipeline import inbox as ib
from qa_pipeline import run_state as rs
from qa_pipeline import runs as rn
from qa_pipeline.concurrency import WORKERS_ENV, default_workers, with_workers
from qa_pipeline.errors import QAPipelineError, RecordingError
from qa_pipeline.files import publish as publish_files
from qa_pipeline.growing import default_settle_s
from qa_pipeline.pipeline import CallPipeline, CallSource, PipelineSettings, Scored, failure_reason
from qa_pipeline.records import Scorecard
from qa_pipeline.report import Failure
from qa_pipeline.store import claims as cl

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
def find_new_recordings(inbox: str, out: str, state, rubric: str, asr_model: str, retry_quarantined: bool,
                        settle_s: float = 0.0) -> ib.Plan:
    """List the inbox, identify each recording, and keep those no run has finished (per the claims in `state`)."""
    return rs.plan_inbox(state, inbox, out, rubric, asr_model, retry_quarantined, settle_s)


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
def score_call(call: ib.Call, local: Path, run: RunSettings) -> Scored:
    """The call through the pipeline; its outputs are written into the call's staging folder."""
    staged = Path(run.out) / STAGING / call.key / "out"
    shutil.rmtree(staged, ignore_errors=True)
    source = CallSource(local, run.stems[call.file.relpath], call.file.url, call.content_sha256)
    outcome = run.pipeline.run_safely(source, staged)
    if isinstance(outcome, Failure):
        raise RecordingError(run.pipeline.public_recording(call.file.relpath), outcome.reason)  # Prefect shows it
    return outcome


@task(name="publish", **TASK, **IO_RETRIES)
def publish(scored: Scored, call: ib.Call, run: RunSettings) -> tuple[str, ...]:
    """Move the call's outputs into place (each file atomically), then save the card into the store."""
    published = publish_files(scored.outputs, ib.output_dir_for(run.out, call))
    if run.store is not None:
        audio = next((p for p in published if p.endswith(".redacted.flac")), None)
        run.pipeline.save(run.store, scored, audio)
    return tuple(Path(os.path.relpath(p, run.out)).as_posix() for p in published)


@task(name="claim", **TASK, **IO_RETRIES)
def take(state, call: ib.Call, owner: str, ttl_s: float, retry_quarantined: bool) -> bool:
    return cl.claim(state, call, owner, ttl_s, retry_quarantined)


@task(name="finish-claim", **TASK, **IO_RETRIES)
def finish(state, outcome: Outcome, owner: str, run: RunSettings) -> bool:
    """Mark the call done or quarantined; runs only after its outputs are on disk and in the store."""
    from qa_pipeline.redaction.scorecard import redact_text

    score = None if outcome.card is None or outcome.card.score is None else round(outcome.card.score, 1)
    reason = redact_text(outcome.reason, run.redaction)
    finished = cl.finish(state, outcome.call.key, owner, outcome.status, score, reason)
    shutil.rmtree(Path(run.out) / STAGING / outcome.call.key, ignore_errors=True)
    return finished


@task(name="write-quarantine", **TASK, **IO_RETRIES)
def write_quarantine(plan: ib.Plan, out: str, state, redact: str | None) -> Path:
    """`OUT/quarantine.json`, naming recordings as every other output does (PII in paths replaced)."""
    from qa_pipeline.redaction import load_settings
    from qa_pipeline.redaction.filenames import public_path

    settings = load_settings(types=redact)
    return rs.write_quarantine(out, plan, cl.claims_for(state, (c.key for c in (*plan.pending, *plan.already_done))),
                               lambda path: public_path(path, settings))


def log_waiting(plan: ib.Plan, settings) -> None:
    """Log each file left for the next run and why, named as outputs name it (`redaction.filenames`)."""
    from qa_pipeline.redaction.filenames import public_path, public_reason

    for relpath, reason in plan.waiting:
        get_run_logger().info("left for the next run: %s: %s", public_path(relpath, settings),
                              public_reason(reason, relpath, settings))


def public_summary(summary: rn.RunSummary, settings) -> rn.RunSummary:
    """`summary` with its quarantined recordings named as outputs name them (the artifact, the printout)."""
    from qa_pipeline.redaction.filenames import public_path, public_reason

    named = ((public_path(path, settings), public_reason(reason or "", path, settings) or reason)
             for path, reason in summary.quarantined)
    return replace(summary, quarantined=tuple(sorted(named)))


STAGES = ("fetch", "score", "publish")


@dataclass(frozen=True)
class RunSettings:
    """What every call of one run shares: the out folder, the pipeline, the open store, output names."""

    out: str
    pipeline: CallPipeline
    store: Any  # an open results store, or None
    stems: Mapping[str, str]
    workers: int = 1  # calls in flight at once

    @property
    def redaction(self):
        return self.pipeline.settings.redaction


@dataclass(frozen=True)
class Claims:
    """How a run claims its calls: in which store (the run state), as whom, for how long."""

    state: Any  # the open store holding the claims
    owner: str
    ttl_s: float = cl.DEFAULT_TTL_S
    retry_quarantined: bool = False


@dataclass(frozen=True)
class Outcome:
    """What became of one claimed call: done (with its card) or quarantined (with why)."""

    call: ib.Call
    status: str  # claims.DONE or claims.QUARANTINED
    card: Scorecard | None = None
    reason: str = ""
    scored: Scored | None = None  # a scored call's record (its redaction counts among it)


def run_asr_options(model: str | None, agent_channel: int | str = "auto", workers: int = 1,
                    asr_time_limit_s: float | None = None, language: str | None = None):
    """The ASR options of a run: the model (None: $QA_PIPELINE_MODEL, else base), the agent channel,
    the bound on each channel's decoding (None: none, as the CLI's --asr-time-limit-s), the calls'
    language (None: English; "auto": detected per call; a call's metadata wins, as the CLI's
    --language), and the model sized for `workers` calls at once, as the CLI's --workers does."""
    from qa_pipeline.cli.score import asr_options

    return with_workers(asr_options(model, agent_channel, language=language, time_limit_s=asr_time_limit_s),
                        max(1, workers))


def run_pipeline(rubric: str, model: str | None, agent_channel: int | str, workers: int, redact: str | None,
                 agents: str | None, hotwords: bool, transcripts_cache: str | None,
                 asr_time_limit_s: float | None = None, language: str | None = None) -> CallPipeline:
    """The run's `CallPipeline`, from the flow's parameters (as `qa-pipeline score` builds it from its options)."""
    from qa_pipeline.cli.score import run_rubric
    from qa_pipeline.redaction import load_settings
    from qa_pipeline.vocabulary import site_vocabulary

    settings = PipelineSettings(
        rubric=run_rubric(rubric, language),
        asr_options=run_asr_options(model, agent_channel, workers, asr_time_limit_s, language),
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


def owner_name() -> str:
    """Who holds a claim: the Prefect worker (or host) and this flow run."""
    worker = os.environ.get("PREFECT__WORKER_NAME") or socket.gethostname()
    return f"{worker}/{current_run.get_name() or os.getpid()}"


def score_claimed(calls: list[ib.Call], run: RunSettings, claims: Claims) -> tuple[list[Outcome], int]:
    """Claim, score and finish `calls`, a window of `run.workers` at a time; the outcomes, and how many were skipped.

    A call another run holds (or has finished meanwhile) is skipped. Entries found faulty
    while listing (a broken link, a folder named x.wav) are quarantined with that reason;
    only readable recordings go through the tasks. Claims still held when this ends early
    (an error, Ctrl-C, SIGTERM) are released, so the next run takes them at once; only a
    run killed outright leaves them to expire after `claims.ttl_s`.
    """
    logger = get_run_logger()
    if any(not c.fault for c in calls):
        prepare_asr(run.pipeline.settings.asr_options)
    outcomes: list[Outcome] = []
    skipped, held = 0, set()
    try:
        for window in _windows(calls, max(1, run.workers)):
            mine = [c for c in window if take(claims.state, c, claims.owner, claims.ttl_s, claims.retry_quarantined)]
            held.update(c.key for c in mine)
            skipped += len(window) - len(mine)
            for outcome in _score_window(mine, run):
                finish(claims.state, outcome, claims.owner, run)
                held.discard(outcome.call.key)
                outcomes.append(outcome)
                logger.info("[%d/%d] %s: %s", len(outcomes) + skipped, len(calls),
                            run.pipeline.public_recording(outcome.call.file.relpath), _describe(outcome, run))
    finally:
        _release(claims, held)
    return outcomes, skipped


def _score_window(calls: list[ib.Call], run: RunSettings) -> Iterator[Outcome]:
    """Each claimed call's outcome, in order: faulty entries at once, the rest through the task chain."""
    readable = [c for c in calls if not c.fault]
    chains = dict(zip((c.key for c in readable), submit_calls(readable, run))) if readable else {}
    for call in calls:
        if call.fault:
            yield Outcome(call, cl.QUARANTINED, reason=call.fault)
            continue
        chain = chains[call.key]
        chain[-1].wait()
        if chain[-1].state.is_completed():
            scored = chain[1].result()
            yield Outcome(call, cl.DONE, card=scored.card, scored=scored)
        else:
            yield Outcome(call, cl.QUARANTINED, reason=_first_failure(chain))


def _release(claims: Claims, keys: set[str]) -> None:
    for key in keys:
        try:
            cl.release(claims.state, key, claims.owner)
        except Exception as exc:  # noqa: BLE001 - the claim then expires after its time to live
            logging.getLogger(__name__).warning("claim on %s not released (%s); it expires after %.0f s",
                                                key, failure_reason(exc), claims.ttl_s)


def _describe(outcome: Outcome, run: RunSettings) -> str:
    """The log's word on a call: its score, or why it was quarantined (PII in the reason redacted)."""
    from qa_pipeline.redaction.filenames import public_reason

    if outcome.status == cl.QUARANTINED:
        return f"quarantined ({public_reason(outcome.reason or '', outcome.call.file.relpath, run.redaction)})"
    score = outcome.card.score if outcome.card is not None else None
    return "scored" if score is None else f"score {score:.1f}"


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
    if not store or store.lower() == "none":
        return None
    from qa_pipeline.store import open_store

    if store != DEFAULT_STORE:
        return open_store(store)
    try:
        return open_store(None)
    except Exception as exc:  # noqa: BLE001 - the default store is a convenience, files are the record
        get_run_logger().warning("results store not used (%s); scorecards are written to files only, and the run "
                                 "state to %s", failure_reason(exc), rs.RUN_STATE_NAME)
        return None


def publish_summary(summary: rn.RunSummary, title: str, key: str) -> None:
    """The run's summary artifact (`key`), and its per-criterion pass rates as a table."""
    create_markdown_artifact(key=key, markdown=rn.summary_markdown(summary, title=title),
                             description="Calls scored, quarantined and left unfinished; mean score; pass rates")
    if summary.pass_rates:
        create_table_artifact(key="criterion-pass-rates", table=rn.pass_rate_rows(summary),
                              description="Per-criterion pass rate over the calls scored in this run")


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
    claim_ttl_s: float = cl.DEFAULT_TTL_S,
    settle_s: float | None = None,
    asr_time_limit_s: float | None = None,
    language: str | None = None,
) -> rn.RunSummary:
    """Score every recording in `inbox` that no run has finished for this rubric and model.

    At most `workers` calls are in flight at once, sharing one Whisper model per process
    and the cores as the CLI's --workers does (`qa_pipeline.concurrency.with_workers`).
    `store` is "default" (the project store if it opens), a SQLAlchemy URL, or "none".
    The run state (the claims) lives in that store, or in ``OUT/.run-state.sqlite``
    without one. `claim_ttl_s` is how long a claim of a run killed outright blocks the
    call (a run that ends any other way releases its claims). `redact` is the PII types
    redacted in everything written, as `qa-pipeline score --redact` takes them (None: the
    settings file's, `$QA_PIPELINE_REDACTION`). `agents` (a roster CSV), `hotwords` and
    `transcripts_cache` are `qa-pipeline score`'s options. A file changed within `settle_s`
    seconds (None: `$QA_PIPELINE_SETTLE_S`, else 10) is left for the next run. `asr_time_limit_s`
    bounds each channel's decoding (None: no bound; see `qa-pipeline score --help`). `language` is
    the calls' language, as `qa-pipeline score --language` takes it (None: English; a call's
    metadata.csv `language` wins). Returns the run summary; the run's Prefect artifacts show the same.
    """
    from qa_pipeline.speech.asr import model_label

    logger = get_run_logger()
    pipeline = run_pipeline(rubric, model, agent_channel, workers, redact, agents, hotwords, transcripts_cache,
                            asr_time_limit_s, language)
    quiet_expected_failures()
    results = _open_store(store)
    state = results if results is not None else rs.open_run_state(out)
    try:
        plan = find_new_recordings(inbox, out, state, pipeline.settings.rubric.label,
                                   model_label(pipeline.settings.asr_options), retry_quarantined,
                                   default_settle_s() if settle_s is None else settle_s)
        log_waiting(plan, pipeline.settings.redaction)
        logger.info("%d to score now, %d left for the next run (still being written), %d already done, "
                    "%d duplicate content", len(plan.pending), len(plan.waiting), len(plan.already_done),
                    len(plan.duplicates))
        public = pipeline.public_recording
        for dup, first in plan.duplicates:
            logger.info("skipped %s: same audio as %s", public(dup.file.relpath), public(first))
        run = RunSettings(out, pipeline, results, plan.stems, max(1, workers))
        outcomes, _ = score_claimed(list(plan.pending), run,
                                    Claims(state, owner_name(), claim_ttl_s, retry_quarantined))
        write_quarantine(plan, out, state, redact)
        pipeline.write_redaction_report(out, (o.scored for o in outcomes if o.scored is not None))
        summary = public_summary(rn.summarize(plan, cl.claims_for(state, (c.key for c in plan.pending)),
                                              rn.pass_rate_counts(o.card for o in outcomes if o.card is not None)),
                                 pipeline.settings.redaction)
    finally:
        state.close()
    _remove_empty(Path(out) / STAGING)
    publish_summary(summary, f"Call scoring run: {inbox}", "score-calls-summary")
    return summary


def _remove_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass  # absent, or holding a call another run is working on


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
    parser.add_argument("--out", required=True, help="output folder: scorecards, quarantine.json (and the run state, "
                        "OUT/.run-state.sqlite, when no results store is used)")
    parser.add_argument("--rubric", default="etiquette", help="bundled rubric id or rubric YAML path (default: %(default)s)")
    parser.add_argument("--model", default=None, help="Whisper model (default: $QA_PIPELINE_MODEL, else base)")
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
    parser.add_argument("--settle-s", type=float, default=None, metavar="SECONDS",
                        help="leave files changed within this many seconds for the next run (default: "
                             "$QA_PIPELINE_SETTLE_S, else 10; 0: off)")
    parser.add_argument("--transcripts-cache", default=None, metavar="DIR",
                        help="reuse transcripts of the same audio and settings kept here (kept redacted)")
    parser.add_argument("--retry-quarantined", action="store_true", help="try quarantined recordings again")
    parser.add_argument("--asr-time-limit-s", type=_positive_seconds, default=None, metavar="SECONDS",
                        help="bound each channel's decoding to this many seconds; what is left is not transcribed and "
                             "the card warns (default: no bound, since where decoding stops depends on machine load)")
    parser.add_argument("--language", type=_language, default=None, metavar="CODE",
                        help="the calls' language: a code (en, ja, ru, el, ko) or auto (detected per call), as "
                             "`qa-pipeline score --language`; a call's metadata.csv `language` column wins "
                             "(default: English)")
    parser.add_argument("--claim-ttl", type=float, default=cl.DEFAULT_TTL_S, metavar="SECONDS",
                        help="how long the calls a run killed outright was scoring stay blocked "
                             "(default: %(default).0f; a run that ends any other way frees them at once)")
    parser.add_argument("--serve", action="store_true",
                        help="serve the flow from this process on the --cron schedule instead of running once")
    parser.add_argument("--cron", default=NIGHTLY_CRON, help="schedule for --serve (default: %(default)r, nightly)")
    return parser


def _positive_seconds(text: str) -> float:
    from qa_pipeline.cli.options import positive_seconds

    try:
        return positive_seconds(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _language(text: str) -> str:
    from qa_pipeline.languages import checked_language

    try:
        return checked_language(text, allow_auto=True) or text
    except QAPipelineError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


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
        "settle_s": args.settle_s,
        "claim_ttl_s": args.claim_ttl,
        "asr_time_limit_s": args.asr_time_limit_s,
        "language": args.language,
    }
    if args.serve:
        return _serve(args.cron, params)
    try:
        with temporary_settings(updates=_embedded_server_settings()):
            summary = score_calls(**params)
    except (QAPipelineError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(rn.summary_markdown(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
