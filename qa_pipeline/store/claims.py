"""Claims on calls: the run state of both flows, which every worker sees transactionally.

Every run, on one machine or fanned out over many, decides "is this call done, and is
anyone scoring it?" here, in a results store (PostgreSQL at scale, SQLite on one machine;
a run without a results store keeps a SQLite one in its output folder), not in a file:

- `claim` takes a call for one owner, atomically. It succeeds when no row exists, or when
  the row is an expired claim of a worker that died (or a quarantined call, when asked to
  retry). Two workers never hold the same unexpired claim.
- `finish` marks the call `done` or `quarantined`; a finished call is never claimed again.
- A worker killed mid-call leaves its claim to expire after its time to live; the next
  run (or a retry of the chunk) claims and finishes it. Scorecard saves are idempotent by
  (content hash, rubric), so a call redone after a kill never duplicates a result.
- `import_finished` adds the finished calls of an older record (the JSONL ledger the
  single-machine flow once kept) where no claim exists yet.

Times are naive UTC, as everywhere in the store.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from qa_pipeline.run_records import CLAIMED, DONE, QUARANTINED
from qa_pipeline.store.schema import Call, ClaimRow, CriterionRow, ScorecardRow

if TYPE_CHECKING:
    from qa_pipeline.store.repository import Store

FINISHED = (DONE, QUARANTINED)
# A call takes seconds to minutes; an hour is far beyond any live claim on a working worker.
DEFAULT_TTL_S = 3600.0


@dataclass(frozen=True)
class Claim:
    """A claim row as the runs read it."""

    key: str
    content_sha256: str
    relpath: str
    size: int
    stamp: str
    status: str
    owner: str
    attempts: int
    claimed_at: datetime
    expires_at: datetime
    finished_at: datetime | None = None
    score: float | None = None
    reason: str = ""


def _now() -> datetime:
    from qa_pipeline.store.repository import utcnow

    return utcnow()


def claim(store: Store, call, owner: str, ttl_s: float = DEFAULT_TTL_S,
          retry_quarantined: bool = False) -> bool:
    """Take `call` (a `qa_pipeline.inbox.Call`) for `owner` until now + `ttl_s`; True when this owner now holds it.

    One INSERT, or one conditional UPDATE of an expired claim: each is a single atomic
    statement, so under concurrent workers exactly one of them wins.
    """
    key, file = call.key, call.file
    now = _now()
    values = {"owner": owner, "relpath": file.relpath, "size": file.size, "stamp": file.stamp,
              "claimed_at": now, "expires_at": now + timedelta(seconds=ttl_s)}
    try:
        with store.transaction() as session:
            session.execute(insert(ClaimRow).values(
                key=key, content_sha256=call.content_sha256, status=CLAIMED,
                attempts=1, reason="", **values))
        return True
    except IntegrityError:
        pass  # the row exists: take it over only if its claim has lapsed
    takeable = (ClaimRow.status == CLAIMED) & (ClaimRow.expires_at < now)
    if retry_quarantined:
        takeable = or_(takeable, ClaimRow.status == QUARANTINED)
    with store.transaction() as session:
        result = session.execute(
            update(ClaimRow).where(ClaimRow.key == key, takeable)
            .values(status=CLAIMED, attempts=ClaimRow.attempts + 1,
                    finished_at=None, reason="", **values)
            .execution_options(synchronize_session=False))
        return result.rowcount == 1


def finish(store: Store, key: str, owner: str, status: str = DONE,
           score: float | None = None, reason: str = "") -> bool:
    """Mark `owner`'s claim on `key` finished; False if the claim was lost (expired and taken)."""
    if status not in FINISHED:
        raise ValueError(f"status must be one of {FINISHED}, not {status!r}")
    with store.transaction() as session:
        result = session.execute(
            update(ClaimRow).where(ClaimRow.key == key, ClaimRow.owner == owner, ClaimRow.status == CLAIMED)
            .values(status=status, finished_at=_now(), score=score, reason=reason)
            .execution_options(synchronize_session=False))
        return result.rowcount == 1


def release(store: Store, key: str, owner: str) -> None:
    """Give a claim back unfinished (for example on shutdown), so another worker may take it now."""
    with store.transaction() as session:
        session.execute(
            update(ClaimRow).where(ClaimRow.key == key, ClaimRow.owner == owner, ClaimRow.status == CLAIMED)
            .values(expires_at=_now() - timedelta(seconds=1))
            .execution_options(synchronize_session=False))


def claims_for(store: Store, keys: Iterable[str]) -> dict[str, Claim]:
    """The claim rows of these keys (absent keys are never claimed)."""
    wanted = list(dict.fromkeys(keys))
    found: dict[str, Claim] = {}
    with store.transaction() as session:
        for start in range(0, len(wanted), 500):  # keep IN lists short for every database
            rows = session.scalars(select(ClaimRow).where(ClaimRow.key.in_(wanted[start:start + 500])))
            found.update({row.key: _record(row) for row in rows})
    return found


def known_files(store: Store, relpaths: Iterable[str]) -> list[Claim]:
    """Claims on these inbox paths: their (relpath, size, stamp) let a rescan reuse content hashes."""
    wanted = list(dict.fromkeys(relpaths))
    found: list[Claim] = []
    with store.transaction() as session:
        for start in range(0, len(wanted), 500):
            rows = session.scalars(select(ClaimRow).where(ClaimRow.relpath.in_(wanted[start:start + 500])))
            found.extend(_record(row) for row in rows)
    return found


def finished_keys(store: Store, keys: Iterable[str], retry_quarantined: bool = False) -> set[str]:
    """Of `keys`, those a run need not schedule again: done, or quarantined unless retried."""
    statuses = (DONE,) if retry_quarantined else FINISHED
    return {key for key, row in claims_for(store, keys).items() if row.status in statuses}


def pass_rates(store: Store, content_hashes: Iterable[str], rubric_label: str) -> dict[str, tuple[int, int]]:
    """(passed, applicable) per criterion over the pass and fail verdicts of these calls' scorecards.

    `rubric_label` is ``id/version``; overrides are not applied (these are machine results).
    """
    rubric_id, _, version = rubric_label.partition("/")
    hashes = list(dict.fromkeys(content_hashes))
    tally: dict[str, tuple[int, int]] = {}
    with store.transaction() as session:
        for start in range(0, len(hashes), 500):
            query = (select(CriterionRow.criterion_id, CriterionRow.verdict)
                     .join(ScorecardRow, CriterionRow.scorecard_id == ScorecardRow.id)
                     .join(Call, ScorecardRow.call_id == Call.id)
                     .where(Call.content_sha256.in_(hashes[start:start + 500]),
                            ScorecardRow.rubric_id == rubric_id, ScorecardRow.rubric_version == version))
            for criterion, verdict in session.execute(query):
                if verdict in ("pass", "fail"):
                    passed, applicable = tally.get(criterion, (0, 0))
                    tally[criterion] = (passed + (verdict == "pass"), applicable + 1)
    return tally


def import_finished(store: Store, finished: Iterable[Claim]) -> int:
    """Insert these finished claims (status done or quarantined) where their key has no row; how many were added.

    A key that already has a row keeps it: the claims are newer than any imported record.
    """
    rows = {c.key: c for c in finished if c.status in FINISHED}
    existing = set(claims_for(store, rows))
    new = [_values(c) for key, c in rows.items() if key not in existing]
    if not new:
        return 0
    try:
        with store.transaction() as session:
            session.execute(insert(ClaimRow), new)
        return len(new)
    except IntegrityError:  # another run imported some of them meanwhile: one row at a time
        added = 0
        for values in new:
            try:
                with store.transaction() as session:
                    session.execute(insert(ClaimRow).values(**values))
                added += 1
            except IntegrityError:
                pass
        return added


def _values(c: Claim) -> dict:
    return {"key": c.key, "content_sha256": c.content_sha256, "relpath": c.relpath, "size": c.size,
            "stamp": c.stamp, "status": c.status, "owner": c.owner, "attempts": c.attempts,
            "claimed_at": c.claimed_at, "expires_at": c.expires_at, "finished_at": c.finished_at,
            "score": c.score, "reason": c.reason}


def _record(row: ClaimRow) -> Claim:
    return Claim(row.key, row.content_sha256, row.relpath, row.size, row.stamp, row.status, row.owner,
                 row.attempts, row.claimed_at, row.expires_at, row.finished_at, row.score, row.reason or "")
