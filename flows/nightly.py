"""Prefect flows: one nightly run that fans out over the workers of a work pool.

`score-calls-nightly` (the parent) lists the inbox, identifies each recording, drops the
calls the results store's claims say are finished (the planner the single-machine flow
uses, `qa_pipeline.runs.plan_run`), cuts the rest into chunks, and starts each chunk
as its own flow run of the `score-chunk` deployment with `run_deployment`. Any worker
polling the work pool, on any machine, picks a chunk up. The parent waits for the chunks
and publishes the night's summary (`qa_pipeline.runs.summarize`, as the single-machine
flow does).

`score-chunk` claims each call in the results store before it scores it
(`qa_pipeline.store.claims`), so two workers never score the same call, and marks it
finished after its scorecard is written and saved. A worker that dies leaves its claims to
expire; the next run finishes those calls. The single-machine flow in `score_calls.py`
supplies the claim-score-finish loop and the per-call tasks; all logic lives in `qa_pipeline`.

    prefect --no-prompt deploy --all          # both deployments, from prefect.yaml
    prefect deployment run score-calls-nightly/nightly --watch
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.runtime import flow_run as current_run
from prefect.task_runners import ThreadPoolTaskRunner

# Prefect loads a deployment's entrypoint as a file, not as part of a package.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import score_calls as sc  # noqa: E402

from qa_pipeline import runs as rn  # noqa: E402
from qa_pipeline.growing import default_settle_s  # noqa: E402
from qa_pipeline.store import claims as cl  # noqa: E402

CHUNK_DEPLOYMENT = "score-chunk/chunk"
DEFAULT_CHUNK_SIZE = 25
POLL_S = 5.0


def _open_shared_store(store: str | None):
    """The store every worker shares: a URL, or $QA_PIPELINE_DB / the default SQLite file."""
    from qa_pipeline.store import open_store

    return open_store(None if not store or store == sc.DEFAULT_STORE else store)


# ----------------------------------------------------------------------------- the parent


@task(name="merge-redaction-report", **sc.TASK)
def merge_redaction_report(out: str, redact: str | None) -> None:
    """OUT/redaction_report.json from the parts the chunks wrote (a chunk still running after
    the wait adds its part to the next night's report)."""
    from qa_pipeline.redaction import load_settings
    from qa_pipeline.redaction.report import merge_parts

    settings = load_settings(types=redact)
    if settings.enabled:
        merge_parts(out, settings.label)


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
def summarize_night(plan: rn.Plan, chunks: list[rn.Chunk], states: dict[str, str], run_ids: list[str],
                    store, rubric: str) -> rn.RunSummary:
    claims = cl.claims_for(store, (c.key for c in plan.pending))
    rates = cl.pass_rates(store, {c.content_sha256 for c in plan.pending}, rubric)
    return rn.summarize(plan, claims, rates, chunks, [states.get(r, "Unknown") for r in run_ids])


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
    asr_time_limit_s: float | None = None,
    settle_s: float | None = None,
    language: str | None = None,
) -> rn.RunSummary:
    """Score every recording in `inbox` not yet finished for this rubric and model, over many workers.

    `store` is the results store every worker shares ("default": `$QA_PIPELINE_DB` where
    the flow runs, else the project SQLite file; use PostgreSQL across machines). Calls
    go out in chunks of `chunk_size` as flow runs of `chunk_deployment`; each scores with
    `workers` calls in flight. `chunk_timeout_s` bounds the wait for chunks (None: no
    bound); calls of a chunk that never finishes are left to the next run. `redact` is the
    PII types redacted in everything written (`qa-pipeline score --redact`; None: the
    settings file's on each worker); `agents`, `hotwords` and `transcripts_cache` are
    `qa-pipeline score`'s options, read where each chunk runs. Files changed within
    `settle_s` seconds (None: `$QA_PIPELINE_SETTLE_S`, else 10) are left for the next night.
    `asr_time_limit_s` bounds each channel's decoding (None: no bound) and `language` is the
    calls' language, as `score_calls`'s.
    """
    from qa_pipeline.cli.score import run_rubric
    from qa_pipeline.redaction import load_settings
    from qa_pipeline.speech.asr import model_label

    logger = get_run_logger()
    label = run_rubric(rubric, language).label
    asr_model = model_label(sc.run_asr_options(model))
    opened = _open_shared_store(store)
    try:
        plan = sc.find_new_recordings(inbox, out, opened, label, asr_model, retry_quarantined,
                                      default_settle_s() if settle_s is None else settle_s)
        sc.log_waiting(plan, load_settings(types=redact))
        chunks = rn.cut_chunks(plan, max(1, chunk_size))
        logger.info("%d to score in %d chunks of up to %d; %d already finished, %d duplicate content",
                    len(plan.pending), len(chunks), chunk_size, len(plan.already_done), len(plan.duplicates))
        shared = {"out": out, "rubric": rubric, "model": model, "agent_channel": agent_channel,
                  "asr_time_limit_s": asr_time_limit_s, "language": language,
                  "workers": workers, "store": store, "claim_ttl_s": claim_ttl_s,
                  "retry_quarantined": retry_quarantined, "redact": redact, "agents": agents, "hotwords": hotwords,
                  "transcripts_cache": transcripts_cache}
        run_ids = [start_chunk(chunk_deployment, {**shared, "calls": [asdict(c) for c in chunk.calls]},
                               f"{current_run.get_name() or 'night'}-chunk-{chunk.index}-of-{len(chunks)}")
                   for chunk in chunks]
        states = wait_for_chunks(run_ids, chunk_timeout_s) if run_ids else {}
        sc.write_quarantine(plan, out, opened, redact)
        merge_redaction_report(out, redact)
        summary = sc.public_summary(summarize_night(plan, chunks, states, run_ids, opened, label),
                                    load_settings(types=redact))
    finally:
        opened.close()
    sc.publish_summary(summary, f"Nightly scoring: {inbox}", "nightly-summary")
    if summary.chunks:
        create_table_artifact(key="nightly-chunks", table=[asdict(c) for c in summary.chunks],
                              description="Each chunk of the night: calls, state, the workers that ran it")
    return summary


# ----------------------------------------------------------------------------- one chunk


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
    asr_time_limit_s: float | None = None,
    language: str | None = None,
) -> dict[str, Any]:
    """Score the chunk's `calls` (as `score-calls-nightly` sends them) that this run can claim.

    A call another worker holds, or one already finished, is skipped. Returns counts and
    the owner name this run claimed under.
    """
    logger = get_run_logger()
    pipeline = sc.run_pipeline(rubric, model, agent_channel, workers, redact, agents, hotwords, transcripts_cache,
                               asr_time_limit_s, language)
    sc.quiet_expected_failures()
    items = [rn.ChunkCall(**c) for c in calls]
    opened = _open_shared_store(store)
    try:
        run = sc.RunSettings(out, pipeline, opened, {i.relpath: i.stem for i in items}, max(1, workers))
        claims = sc.Claims(opened, sc.owner_name(), claim_ttl_s, retry_quarantined)
        outcomes, skipped = sc.score_claimed([i.call() for i in items], run, claims)
    finally:
        opened.close()
    # The parent merges every chunk's part into OUT/redaction_report.json once all chunks are over.
    pipeline.write_redaction_report(out, (o.scored for o in outcomes if o.scored is not None),
                                    part=str(current_run.get_id() or os.getpid()))
    counts = {cl.DONE: 0, cl.QUARANTINED: 0, "skipped": skipped}
    for outcome in outcomes:
        counts[outcome.status] += 1
    logger.info("chunk done by %s: %s", claims.owner, counts)
    return {"owner": claims.owner, **counts}


if __name__ == "__main__":
    print(__doc__)
