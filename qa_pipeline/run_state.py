"""Where a run keeps track of its calls, and the run files of its output folder.

Both flows keep their run state in the claims of a results store
(`qa_pipeline.store.claims`). A run that saves into a results store keeps it there; a
run without one (`--no-db`, or a default store that does not open) keeps it in a SQLite
store of its own inside the output folder, ``OUT/.run-state.sqlite``, so its output
folder carries what it has done. Here too:

- `migrate_ledger`: the JSON-lines ledger (``OUT/ledger.jsonl``) the single-machine flow
  kept before becomes claims, once; the file is then renamed ``ledger.jsonl.migrated``.
- `plan_inbox`: list and identify the inbox and plan the run from the claims.
- `write_quarantine`: ``OUT/quarantine.json``, the recordings that could not be scored.

Nothing here imports Prefect: the flows in ``flows/`` only call it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from qa_pipeline import inbox as ib
from qa_pipeline.files import fsync_dir, write_atomic
from qa_pipeline.run_records import DONE, QUARANTINED, Plan
from qa_pipeline.runs import plan_run
from qa_pipeline.store import claims as cl
from qa_pipeline.store import open_store

if TYPE_CHECKING:
    from qa_pipeline.store.repository import Store

RUN_STATE_NAME = ".run-state.sqlite"
LEDGER_NAME = "ledger.jsonl"
MIGRATED_SUFFIX = ".migrated"
LEDGER_OWNER = "ledger.jsonl"  # the owner of a claim imported from an old ledger
QUARANTINE_NAME = "quarantine.json"
QUARANTINE_SCHEMA = "qa-pipeline.quarantine/1"
# The old ledger's statuses, as claims name them.
_LEDGER_STATUS = {"scored": DONE, "quarantined": QUARANTINED}


def run_state_url(out: str | Path) -> str:
    """The SQLite store inside the output folder that holds a run's claims when it has no results store."""
    return f"sqlite:///{Path(out).resolve() / RUN_STATE_NAME}"


def open_run_state(out: str | Path) -> Store:
    """Open (and create or migrate) ``OUT/.run-state.sqlite``."""
    return open_store(run_state_url(out))


def migrate_ledger(store: Store, out: str | Path) -> int:
    """Turn ``OUT/ledger.jsonl`` into claims (done or quarantined, with score and reason), once.

    The latest line per processing key counts; a line torn by a kill, or one that is not
    a ledger line, is skipped. A key that already has a claim keeps it. The file is then
    renamed ``ledger.jsonl.migrated``, so no later run reads it. Returns the claims added.
    """
    path = Path(out) / LEDGER_NAME
    if not path.is_file():
        return 0
    latest = {claim.key: claim for claim in _ledger_claims(path)}
    added = cl.import_finished(store, latest.values())
    os.replace(path, path.with_name(LEDGER_NAME + MIGRATED_SUFFIX))
    fsync_dir(path.parent)
    return added


def _ledger_claims(path: Path) -> Iterator[cl.Claim]:
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
            finished = _naive_utc(record["finished_at"])
            yield cl.Claim(
                key=record["key"], content_sha256=record["content_sha256"], relpath=record["relpath"],
                size=int(record["size"]), stamp=record["stamp"], status=_LEDGER_STATUS[record["status"]],
                owner=LEDGER_OWNER, attempts=1, claimed_at=finished, expires_at=finished, finished_at=finished,
                score=record.get("score"), reason=record.get("reason") or "")
        except (ValueError, TypeError, KeyError):
            continue  # torn by a kill mid-write, or not a ledger line


def _naive_utc(text: str) -> datetime:
    stamp = datetime.fromisoformat(text)
    return stamp.astimezone(UTC).replace(tzinfo=None) if stamp.tzinfo else stamp


def plan_inbox(store: Store, inbox: str, out: str | Path, rubric: str, asr_model: str,
               retry_quarantined: bool = False, settle_s: float = 0.0) -> Plan:
    """List and identify the inbox (reusing the hashes the claims know) and plan the run.

    An old ``OUT/ledger.jsonl`` is migrated into `store` first (`migrate_ledger`). Files
    still being written (`settle_s`, `inbox.split_settled`) are left for the next run:
    neither identified nor claimed, listed in the plan's `waiting` with the reason.
    """
    migrate_ledger(store, out)
    files, waiting = ib.split_settled(ib.list_inbox(inbox), settle_s)
    calls = ib.identify(files, cl.known_files(store, (f.relpath for f in files)), rubric, asr_model)
    plan = plan_run(calls, cl.finished_keys(store, (c.key for c in calls), retry_quarantined))
    return replace(plan, waiting=tuple((f.relpath, reason) for f, reason in waiting))


def write_quarantine(out: str | Path, plan: Plan, claims: Mapping[str, cl.Claim],
                     public: Callable[[str], str] = str) -> Path:
    """Write ``OUT/quarantine.json``: each recording in the inbox now whose claim is quarantined, and why.

    `claims` are the claims of the plan's calls by key (`claims.claims_for`). `public` names a
    recording as outputs may (`CallPipeline.public_recording`: PII in the path replaced); it
    replaces the path inside the reason too. The content hash and key find the file again.
    """
    bad = sorted(((c.file.relpath, claims[c.key]) for c in (*plan.pending, *plan.already_done)
                  if c.key in claims and claims[c.key].status == QUARANTINED), key=lambda item: item[0])
    document = {
        "schema": QUARANTINE_SCHEMA,
        "recordings": [
            {"recording": public(relpath), "reason": claim.reason and claim.reason.replace(relpath, public(relpath)),
             "content_sha256": claim.content_sha256, "key": claim.key, "quarantined_at": _iso(claim.finished_at)}
            for relpath, claim in bad
        ],
    }
    return write_atomic(Path(out) / QUARANTINE_NAME, json.dumps(document, indent=2) + "\n")


def _iso(stamp: datetime | None) -> str | None:
    return None if stamp is None else stamp.replace(tzinfo=UTC).isoformat(timespec="seconds")
