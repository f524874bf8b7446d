"""Prefect flows: one nightly run that fans out over the workers of a work pool.

`score-calls-nightly` (the parent) lists the inbox, identifies each recording, drops the
calls the results store says are finished, cuts the rest into chunks, and starts each chunk
as its own flow run of the `score-chunk` deployment with `run_deployment`. Any worker
polling the work pool, on any machine, picks a chunk up. The parent waits for the chunks
and publishes one summary artifact for the night.

`score-chunk` claims each call in the results store before it scores it
(`qa_pipeline.store.claims`), so two workers never score the same call, and marks it
finished after its scorecard is written and saved. A worker that dies leaves its claims to
expire; the next run finishes those calls. The single-machine flow in `score_calls.py`
supplies the per-call tasks; all logic lives in `qa_pipeline`.

    prefect --no-prompt deploy --all          # both deployments, from prefect.yaml
    prefect deployment run score-calls-nightly/nightly --watch
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run as current_run
from prefect.task_runners import ThreadPoolTaskRunner

# Prefect loads a deployment's entrypoint as a file, not as part of a package.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import score_calls as sc  # noqa: E402

from qa_pipeline import inbox as ib  # noqa: E402
from qa_pipeline import nightly as nt  # noqa: E402
from qa_pipeline.store import claims as cl  # noqa: E402

CHUNK_DEPLOYMENT = "score-chunk/chunk"
DEFAULT_CHUNK_SIZE = 25
POLL_S = 5.0


def _open_shared_store(store: str | None):
    """The store every worker shares: a URL, or $QA_PIPELINE_DB / the default SQLite file."""
    from qa_pipeline.store import open_store

    return open_store(None if not store or store == sc.DEFAULT_STORE else store)


# ----------------------------------------------------------------------------- the parent


@task(name="find-new-work", **sc.TASK, **sc.IO_RETRIES)
def find_new_work(inbox: str, store: str | None, rubric: str, asr_model: str,
                  retry_quarantined: bool) -> nt.Night:
    """List and identify the inbox; keep the calls the store does not have finished."""
    files = ib.list_inbox(inbox)
    opened = _open_shared_store(store)
    try:
        known = cl.known_files(opened, (f.relpath for f in files))
        calls = ib.identify(files, known, rubric, asr_model)
        finished = cl.finished_keys(opened, (c.key for c in calls), retry_quarantined)
    finally:
        opened.close()
    return nt.plan_night(calls, finished)


@task(name="start-chunk", **sc.TASK, retries=3, retry_delay_seconds=[2, 10, 30])
def start_chunk(deployment: str, parameters: dict, name: str) -> str:
    """Create the chunk's flow run in the work pool; return its id (not waiting for it)."""
    from prefect.deployments import run_deployment

    run = run_deployment(deployment, parameters=parameters, flow_run_name=name, timeout=0, as_subflow=True)
    return str(run.id)


@task(name="wait-for-chunks", **sc.TASK)
def wait_for_chunks(run_ids: list[str], timeout_s: float | None) -> dict[str, str]:
    """Poll the chunk runs until every one is final or `timeout_s` passes; their state names."""
    from prefect.client.orchestration import get_client

    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    states: dict[str, str] = {}
    with get_client(sync_client=True) as client:
        while True:
            for run_id in run_ids:
                state = client.read_flow_run(run_id).state
                states[run_id] = state.name if state else "Unknown"
                if state is not None and state.is_final():
                    states[run_id] = f"final:{state.name}"
            pending = [r for r, s in states.items() if not s.startswith("final:")]
            if not pending or (deadline is not None and time.monotonic() > deadline):
                return {r: s.removeprefix("final:") for r, s in states.items()}
            time.sleep(POLL_S)


@task(name="summarize-night", **sc.TASK)
def summarize_night(night: nt.Night, chunks: list[nt.Chunk], states: dict[str, str], run_ids: list[str],
                    store: str | None, rubric: str) -> nt.NightSummary:
    opened = _open_shared_store(store)
    try:
        claims = cl.claims_for(opened, (c.key for c in night.pending))
        rates = cl.pass_rates(opened, {c.content_sha256 for c in night.pending}, rubric)
    finally:
        opened.close()
    return nt.summarize_night(night, chunks, [states.get(r, "Unknown") for r in run_ids], claims, rates)


@flow(name="score-calls-nightly", task_runner=ThreadPoolTaskRunner(),
      description="Fan the inbox's new recordings out over the work pool in chunks; one summary for the night.")
def nightly(
    inbox: str,
    out: str,
    rubric: str = "etiquette",
    model: str | None = None,
    agent_channel: int | str = "auto",
    workers: int = sc.DEFAULT_WORKERS,
    store: str | None = sc.DEFAULT_STORE,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    chunk_deployment: str = CHUNK_DEPLOYMENT,
    claim_ttl_s: float = cl.DEFAULT_TTL_S,
    chunk_timeout_s: float | None = None,
    retry_quarantined: bool = False,
    redact: str | None = None,
    agents: str | None = None,
    hotwords: bool = False,
    transcripts_cache: str | None = None,
) -> nt.NightSummary:
    """Score every recording in `inbox` not yet finished for this rubric and model, over many workers.

    `store` is the results store every worker shares ("default": `$QA_PIPELINE_DB` where
    the flow runs, else the project SQLite file; use PostgreSQL across machines). Calls
    go out in chunks of `chunk_size` as flow runs of `chunk_deployment`; each scores with
    `workers` calls in flight. `chunk_timeout_s` bounds the wait for chunks (None: no
    bound); calls of a chunk that never finishes are left to the next run. `redact` is the
    PII types redacted in everything written (`qa-pipeline score --redact`; None: the
    settings file's on each worker); `agents`, `hotwords` and `transcripts_cache` are
    `qa-pipeline score`'s options, read where each chunk runs.
    """
    from qa_pipeline.rubric import load_rubric
    from qa_pipeline.speech.asr import model_label

    logger = get_run_logger()
    label = load_rubric(rubric).label
    asr_model = model_label(sc.run_asr_options(model))
    night = find_new_work(inbox, store, label, asr_model, retry_quarantined)
    chunks = nt.cut_chunks(night, max(1, chunk_size))
    logger.info("%d to score in %d chunks of up to %d; %d already finished, %d duplicate content",
                len(night.pending), len(chunks), chunk_size, night.finished, len(night.duplicates))
    shared = {"out": out, "rubric": rubric, "model": model, "agent_channel": agent_channel,
              "workers": workers, "store": store, "claim_ttl_s": claim_ttl_s,
              "retry_quarantined": retry_quarantined, "redact": redact, "agents": agents, "hotwords": hotwords,
              "transcripts_cache": transcripts_cache}
    run_ids = [start_chunk(chunk_deployment, {**shared, "calls": [asdict(c) for c in chunk.calls]},
                           f"{current_run.get_name() or 'night'}-chunk-{chunk.index}-of-{len(chunks)}")
               for chunk in chunks]
    states = wait_for_chunks(run_ids, chunk_timeout_s) if run_ids else {}
    summary = summarize_night(night, chunks, states, run_ids, store, label)
    _publish(summary, inbox)
    return summary


def _publish(summary: nt.NightSummary, inbox: str) -> None:
    create_markdown_artifact(key="nightly-summary", markdown=nt.summary_markdown(summary, inbox),
                             description="Calls scored, failed and quarantined; mean score; pass rates; chunks and workers")
    if summary.chunks:
        create_table_artifact(key="nightly-chunks", table=[asdict(c) for c in summary.chunks],
                              description="Each chunk of the night: calls, state, the workers that ran it")


# ----------------------------------------------------------------------------- one chunk


def _owner() -> str:
    """Who holds a claim: the Prefect worker (or host) and this flow run."""
    worker = os.environ.get("PREFECT__WORKER_NAME") or socket.gethostname()
    return f"{worker}/{current_run.get_name() or os.getpid()}"


@task(name="claim", **sc.TASK, **sc.IO_RETRIES)
def take(store, call: ib.Call, owner: str, ttl_s: float, retry_quarantined: bool) -> bool:
    return cl.claim(store, call, owner, ttl_s, retry_quarantined)


@task(name="finish-claim", **sc.TASK, **sc.IO_RETRIES)
def finish(store, call: ib.Call, owner: str, status: str, score: float | None, reason: str, out: str,
           redaction=None) -> bool:
    from qa_pipeline.redaction.scorecard import redact_text

    done = cl.finish(store, call.key, owner, status, score, redact_text(reason, redaction))
    shutil.rmtree(Path(out) / sc.STAGING / call.key, ignore_errors=True)
    return done


def _score_claimed(calls: list[ib.Call], run: sc.RunSettings) -> list[tuple[ib.Call, str, float | None, str]]:
    """Score claimed calls with the single-machine flow's task chain; each call's outcome."""
    outcomes = []
    for call, chain in zip(calls, sc.submit_calls(calls, run)):
        chain[-1].wait()
        if chain[-1].state.is_completed():
            outcomes.append((call, cl.DONE, chain[1].result().card.score, ""))
        else:
            outcomes.append((call, cl.QUARANTINED, None, sc._first_failure(chain)))
    return outcomes


@flow(name="score-chunk", task_runner=ThreadPoolTaskRunner(),
      description="Score one chunk of a nightly run: claim each call in the shared store, score it, mark it finished.")
def score_chunk(
    calls: list[dict],
    out: str,
    rubric: str = "etiquette",
    model: str | None = None,
    agent_channel: int | str = "auto",
    workers: int = sc.DEFAULT_WORKERS,
    store: str | None = sc.DEFAULT_STORE,
    claim_ttl_s: float = cl.DEFAULT_TTL_S,
    retry_quarantined: bool = False,
    redact: str | None = None,
    agents: str | None = None,
    hotwords: bool = False,
    transcripts_cache: str | None = None,
) -> dict[str, Any]:
    """Score the chunk's `calls` (as `score-calls-nightly` sends them) that this run can claim.

    A call another worker holds, or one already finished, is skipped. Returns counts and
    the owner name this run claimed under.
    """
    logger = get_run_logger()
    owner = _owner()
    pipeline = sc.run_pipeline(rubric, model, agent_channel, workers, redact, agents, hotwords, transcripts_cache)
    redaction = pipeline.settings.redaction
    sc.quiet_expected_failures()
    items = [nt.ChunkCall(**c) for c in calls]
    opened = _open_shared_store(store)
    counts = {cl.DONE: 0, cl.QUARANTINED: 0, "skipped": 0}
    try:
        sc.prepare_asr(pipeline.settings.asr_options)
        run = sc.RunSettings(out, pipeline, opened, {i.relpath: i.stem for i in items})
        for window in sc._windows([i.call() for i in items], max(1, workers)):
            mine = [c for c in window if take(opened, c, owner, claim_ttl_s, retry_quarantined)]
            counts["skipped"] += len(window) - len(mine)
            # Entries found faulty while listing (a broken link, a folder named x.wav) are
            # quarantined with that reason; only readable recordings go through the tasks.
            faulty = [(c, cl.QUARANTINED, None, c.fault) for c in mine if c.fault]
            readable = [c for c in mine if not c.fault]
            for call, status, score, reason in faulty + (_score_claimed(readable, run) if readable else []):
                finish(opened, call, owner, status, score, reason, out, redaction)
                counts[status] += 1
                logger.info("%s: %s", call.file.relpath, reason or f"score {score}")
    finally:
        opened.close()
    logger.info("chunk done by %s: %s", owner, counts)
    return {"owner": owner, **counts}


if __name__ == "__main__":
    print(__doc__)
