"""The `Store`: every read and write of the results database goes through here.

Each public method is one transaction. Saving is idempotent by (recording content
hash, rubric id, rubric version): a re-save replaces the machine result of the
existing scorecard row and never touches its overrides.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, delete, event, make_url, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from qa_pipeline.contract import scorecard_to_dict
from qa_pipeline.errors import ConfigError
from qa_pipeline.records import VERDICTS, Scorecard
from qa_pipeline.redaction.scorecard import ensure_redacted, redact_text
from qa_pipeline.store import accounts, migrate, queries, review, rows, search
from qa_pipeline.store.card_fields import card_fields
from qa_pipeline.store.schema import (
    ACKNOWLEDGED,
    DISPUTED,
    OVERRULED,
    REVIEWED,
    STARTED,
    UPHELD,
    AccessEntry,
    Agent,
    Call,
    CriterionRow,
    Override,
    RescoreRun,
    ReviewEvent,
    ScorecardRow,
    UtteranceRow,
)
from qa_pipeline.store.views import (
    AgentReport,
    CalibrationRow,
    CallDetail,
    CallFilter,
    CallPage,
    LibraryHit,
    QueueItem,
    StoredAudio,
    UserView,
)


def utcnow() -> datetime:
    """Naive UTC, as every DateTime column holds it."""
    return datetime.now(UTC).replace(tzinfo=None)


def parse_call_time(value: str | datetime | None) -> datetime | None:
    """An ISO 8601 call time as a naive datetime (UTC when it carried an offset); None if unreadable."""
    if value is None or isinstance(value, datetime):
        return value
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


# SQLite and PostgreSQL both hold row ids as signed 64-bit integers at most.
MAX_ROW_ID = 2**63 - 1
INIT_HINT = "create it on purpose with `qa-pipeline db init --db URL`, or check the URL for a typo"


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL points at; None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _engine(url: str, create: bool) -> Engine:
    path = sqlite_file(url)
    if path is not None and not create and not path.is_file():
        raise ConfigError(f"no results store at {path.absolute()}: {INIT_HINT}")
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # SQLite leaves foreign keys off by default; WAL lets the web app read while a batch writes;
    # secure_delete overwrites replaced and deleted content, so re-redacted text is not left in
    # free pages of the file.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class Store:
    """A migrated results database. Build one with `qa_pipeline.store.open_store`."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str, create: bool = True) -> Store:
        """Open and migrate the store; with `create=False` refuse one that was never initialised."""
        try:
            engine = _engine(url, create)
            if not create and migrate.current_revision(engine) is None:
                engine.dispose()
                raise ConfigError(f"the results store {url!r} has no tables: {INIT_HINT}")
            migrate.upgrade(engine)
        except ConfigError:
            raise
        except Exception as exc:  # any driver or URL failure becomes one readable line
            raise ConfigError(f"cannot open results store {url!r}: {exc}") from exc
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    # -- scorecards -------------------------------------------------------------------------

    def save_scorecard(
        self, card: Scorecard, content_sha256: str, audio_path: str, call_time: str | None = None,
        redacted_audio: str | None = None, card_json: Mapping[str, Any] | None = None,
    ) -> int:
        """Insert or replace the machine result for (content hash, rubric); return the scorecard id.

        `call_time` (ISO 8601) defaults to the card's own `call_time` when it has one. A card
        not yet redacted is redacted here with the site's settings (`qa_pipeline.redaction`);
        `redacted_audio` is the path of the recording's redacted copy, served instead of it.
        `card_json` is the card as JSON when the caller has it (an import): its additive blocks
        (`sales`, `needs_review`, `language`) give the KPI and review columns
        (`qa_pipeline.store.card_fields`); by default the card's own `scorecard_to_dict`.
        """
        card = ensure_redacted(card)
        when = parse_call_time(call_time or getattr(card, "call_time", None))
        fields = card_fields(card, scorecard_to_dict(card) if card_json is None else card_json, redact_text)
        try:
            return self._save(card, content_sha256, str(audio_path), when, redacted_audio, fields)
        except IntegrityError:
            # Another writer inserted the same call or scorecard first; now it is an update.
            return self._save(card, content_sha256, str(audio_path), when, redacted_audio, fields)

    def _save(self, card: Scorecard, sha: str, audio_path: str, when: datetime | None,
              redacted_audio: str | None = None, fields: Mapping[str, Any] | None = None) -> int:
        with self.transaction() as session:
            if card.agent_id and session.get(Agent, card.agent_id) is None:
                session.add(Agent(id=card.agent_id))
                session.flush()
            call = _call_record(session, sha, card, audio_path, when)
            rows.fill_call(call, card, audio_path, when)
            if redacted_audio:
                call.redacted_audio_path = str(redacted_audio)
            session.flush()
            row = session.scalar(
                select(ScorecardRow).where(
                    ScorecardRow.call_id == call.id,
                    ScorecardRow.rubric_id == card.rubric_id,
                    ScorecardRow.rubric_version == card.rubric_version,
                )
            )
            if row is None:
                row = ScorecardRow(call_id=call.id, times_saved=0)
                session.add(row)
            else:
                _same_rubric(row, card)
                session.execute(delete(CriterionRow).where(CriterionRow.scorecard_id == row.id))
                session.execute(delete(UtteranceRow).where(UtteranceRow.scorecard_id == row.id))
            rows.fill_scorecard(row, card, utcnow())
            for name, value in (fields or {}).items():
                setattr(row, name, value)
            session.flush()
            rows.add_results(session, row.id, card)
            return row.id

    def redact_scorecards(self, redact: Callable[[Scorecard], Scorecard],
                          redacted_audio: Mapping[str, str] | None = None) -> int:
        """Rewrite every stored scorecard with `redact(card)`'s text; return how many were rewritten.

        `redact` must keep the card's utterances, criteria and evidence in number and order
        (as `qa_pipeline.redaction.scorecard.redact_scorecard` does): the transcript text,
        the evidence quotes, the criterion details and the versions are replaced; verdicts,
        scores, times and overrides are kept. A call whose recording path is a key of
        `redacted_audio` is linked to that redacted copy. One transaction per scorecard.
        """
        with self.transaction() as session:
            ids = list(session.scalars(select(ScorecardRow.id)))
        rewritten = 0
        for scorecard_id in ids:
            with self.transaction() as session:
                row = session.get(ScorecardRow, scorecard_id, options=[
                    selectinload(ScorecardRow.call), selectinload(ScorecardRow.utterances),
                    selectinload(ScorecardRow.criteria).selectinload(CriterionRow.evidence)])
                if row is None:  # deleted since the ids were read
                    continue
                quoted = rows.quoted_line(row)
                rows.replace_text(row, redact(rows.card_of(row)))
                row.next_contact_quote = quoted.text if quoted is not None else ""
                audio = (redacted_audio or {}).get(row.call.recording)
                if audio:
                    row.call.redacted_audio_path = audio
                rewritten += 1
        with self.transaction() as session:
            search.forget_old_text(session)
        return rewritten

    def call_detail(self, scorecard_id: int) -> CallDetail | None:
        """The stored scorecard with transcript, evidence and overrides; None if there is none."""
        if not 0 < scorecard_id <= MAX_ROW_ID:
            return None
        with self.transaction() as session:
            row = session.get(
                ScorecardRow,
                scorecard_id,
                options=[
                    selectinload(ScorecardRow.call),
                    selectinload(ScorecardRow.criteria).selectinload(CriterionRow.evidence),
                    selectinload(ScorecardRow.utterances),
                    selectinload(ScorecardRow.overrides).selectinload(Override.user),
                ],
            )
            if row is None:
                return None
            agent = session.get(Agent, row.call.agent_id) if row.call.agent_id else None
            return replace(rows.detail_of(row), history=review.history(session, scorecard_id),
                           agent_name=agent.display_name if agent else None)

    def scorecard_agent(self, scorecard_id: int) -> tuple[bool, str | None]:
        """(exists, agent id) of a scorecard: the cheap check access control needs.

        An id no database row can have (below 1, above 2**63 - 1) does not exist.
        """
        if not 0 < scorecard_id <= MAX_ROW_ID:
            return False, None
        with self.transaction() as session:
            row = session.get(ScorecardRow, scorecard_id, options=[selectinload(ScorecardRow.call)])
            return (False, None) if row is None else (True, row.call.agent_id)

    def add_override(self, scorecard_id: int, criterion_id: str, verdict: str, comment: str, user_id: int) -> int:
        """Record a supervisor's verdict; earlier overrides stay as the audit trail."""
        with self.transaction() as session:
            return _override(session, scorecard_id, criterion_id, verdict, comment, user_id)

    # -- the review loop (qa_pipeline.store.review) -------------------------------------------

    def record_review(self, scorecard_id: int, kind: str, user_id: int, comment: str = "") -> int:
        """A supervisor starts (`started`) or finishes (`reviewed`) a review, or an agent acknowledges."""
        if kind not in (STARTED, REVIEWED, ACKNOWLEDGED):
            raise ValueError(f"not a review step: {kind!r}")
        with self.transaction() as session:
            _scorecard(session, scorecard_id)
            event = ReviewEvent(scorecard_id=scorecard_id, kind=kind, criterion_id="", verdict="",
                                comment=comment.strip(), user_id=user_id, created_at=utcnow())
            return review.add_event(session, event)

    def dispute(self, scorecard_id: int, criterion_id: str, comment: str, user_id: int) -> int:
        """An agent disputes the current verdict of one criterion; the comment says why (required)."""
        if not comment.strip():
            raise ValueError("a dispute needs a comment")
        with self.transaction() as session:
            result = _criterion(session, scorecard_id, criterion_id)
            verdict = _latest_verdict(session, scorecard_id, criterion_id) or result.verdict
            event = ReviewEvent(scorecard_id=scorecard_id, kind=DISPUTED, criterion_id=criterion_id, verdict=verdict,
                                comment=comment.strip(), user_id=user_id, created_at=utcnow())
            return review.add_event(session, event)

    def resolve_dispute(self, dispute_id: int, user_id: int, comment: str, verdict: str | None = None) -> int:
        """Uphold a dispute's verdict (`verdict` None) or overrule it with `verdict`, which is
        recorded as an override with `comment` as its reason. A resolved dispute is refused."""
        if not comment.strip():
            raise ValueError("a resolution needs a comment")
        with self.transaction() as session:
            dispute = session.get(ReviewEvent, dispute_id) if 0 < dispute_id <= MAX_ROW_ID else None
            if dispute is None or dispute.kind != DISPUTED:
                raise LookupError(f"no dispute {dispute_id}")
            if session.scalar(select(ReviewEvent.id).where(ReviewEvent.resolves_id == dispute_id)) is not None:
                raise ValueError(f"dispute {dispute_id} is already resolved")
            now = utcnow()  # an overrule's override and event share the time: one step in the history
            if verdict is not None:
                _override(session, dispute.scorecard_id, dispute.criterion_id, verdict, comment, user_id, now)
            event = ReviewEvent(scorecard_id=dispute.scorecard_id, kind=OVERRULED if verdict else UPHELD,
                                criterion_id=dispute.criterion_id, verdict=verdict or dispute.verdict,
                                comment=comment.strip(), resolves_id=dispute_id, user_id=user_id, created_at=now)
            return review.add_event(session, event)

    # -- re-scoring (qa_pipeline.rescore, `qa-pipeline rescore`) ---------------------------------

    def rescore_sources(self, rubric_id: str, since: datetime | None = None) -> list[CallDetail]:
        """Per call, its latest scorecard under `rubric_id` (any version); with `since`, only calls
        at or after it (calls of unknown time are then left out)."""
        with self.transaction() as session:
            query = (select(ScorecardRow.id, ScorecardRow.call_id).join(Call, Call.id == ScorecardRow.call_id)
                     .where(ScorecardRow.rubric_id == rubric_id)
                     .order_by(Call.call_time, ScorecardRow.call_id, ScorecardRow.scored_at.desc(),
                               ScorecardRow.id.desc()))
            if since is not None:
                query = query.where(Call.call_time >= since)
            latest: dict[int, int] = {}
            for scorecard_id, call_id in session.execute(query):
                latest.setdefault(call_id, scorecard_id)
        details = [self.call_detail(scorecard_id) for scorecard_id in latest.values()]
        return [d for d in details if d is not None]

    def carry_overrides(self, old_id: int, new_id: int, keep: list[str], flag: list[str]) -> None:
        """After a re-score saved `old_id`'s call as `new_id`: the latest override of each `keep`
        criterion is copied to the new card (its time, author and comment, with a note), unless it
        is the same card; each `flag` criterion joins the new card's `needs_review` list."""
        with self.transaction() as session:
            row = _scorecard(session, new_id)
            if new_id != old_id:
                old = _scorecard(session, old_id)
                for criterion_id in keep:
                    latest = session.scalar(select(Override).where(
                        Override.scorecard_id == old_id, Override.criterion_id == criterion_id)
                        .order_by(Override.id.desc()).limit(1))
                    if latest is None:
                        continue
                    note = f" (carried over from {old.rubric_id}/{old.rubric_version} by a re-score)"
                    session.add(Override(scorecard_id=new_id, criterion_id=criterion_id,
                                         machine_verdict=_criterion(session, new_id, criterion_id).verdict,
                                         verdict=latest.verdict, comment=latest.comment + note,
                                         user_id=latest.user_id, created_at=latest.created_at))
            if flag:
                row.needs_review = sorted(set(row.needs_review or ()) | set(flag))

    def rubric_conflict(self, rubric_id: str, version: str, sha256: str) -> str | None:
        """The other content hash stored cards of this rubric id and version carry, if any."""
        with self.transaction() as session:
            return session.scalar(
                select(ScorecardRow.rubric_sha256).where(
                    ScorecardRow.rubric_id == rubric_id, ScorecardRow.rubric_version == version,
                    ScorecardRow.rubric_sha256 != "", ScorecardRow.rubric_sha256 != sha256,
                ).limit(1)
            )

    def save_rescore_run(self, rubric_id: str, version: str, sha256: str, source: str, since: datetime | None,
                         calls: int, flips: list[dict]) -> int:
        with self.transaction() as session:
            run = RescoreRun(rubric_id=rubric_id, rubric_version=version, rubric_sha256=sha256, rubric_source=source,
                             since=since, calls=calls, flips=flips, created_at=utcnow())
            session.add(run)
            session.flush()
            return run.id

    def mark_rescore_applied(self, run_id: int) -> None:
        with self.transaction() as session:
            run = session.get(RescoreRun, run_id)
            if run is None:
                raise ConfigError(f"rescore run {run_id} does not exist")
            run.applied_at = utcnow()

    def rescore_runs(self, limit: int = 20) -> list[dict]:
        """The latest stored rescore diffs, newest first, as plain dicts of their columns."""
        with self.transaction() as session:
            runs = session.scalars(select(RescoreRun).order_by(RescoreRun.id.desc()).limit(limit)).all()
            return [{c.name: getattr(run, c.name) for c in RescoreRun.__table__.columns} for run in runs]

    def review_queue(self, weekly_target: int, low_confidence: float, limit: int = 100) -> list[QueueItem]:
        with self.transaction() as session:
            return review.queue(session, utcnow(), weekly_target, low_confidence, limit)

    def review_counts(self, agent_id: str) -> dict[str, int]:
        with self.transaction() as session:
            return review.agent_counts(session, agent_id)

    def set_agent_names(self, names: dict[str, str]) -> None:
        """Store roster names by agent id (agents the store lacks are added)."""
        with self.transaction() as session:
            for agent_id, name in names.items():
                agent = session.get(Agent, agent_id) or Agent(id=agent_id)
                agent.display_name = name
                session.add(agent)

    def agent_names(self) -> dict[str, str]:
        """Agent id -> display name, for the agents the roster names."""
        with self.transaction() as session:
            named = select(Agent.id, Agent.display_name).where(Agent.display_name.is_not(None))
            return {agent_id: name for agent_id, name in session.execute(named).all() if name}

    # -- reports ----------------------------------------------------------------------------

    def list_calls(self, call_filter: CallFilter, paginate: bool = True) -> CallPage:
        with self.transaction() as session:
            return queries.list_calls(session, call_filter, paginate)

    def rubric_ids(self) -> list[str]:
        with self.transaction() as session:
            return list(session.scalars(select(ScorecardRow.rubric_id).distinct().order_by(ScorecardRow.rubric_id)))

    def agent_ids(self) -> list[str]:
        with self.transaction() as session:
            return list(session.scalars(select(Agent.id).order_by(Agent.id)))

    def criterion_ids(self) -> list[str]:
        with self.transaction() as session:
            return queries.criterion_ids(session)

    def criterion_titles(self) -> dict[str, str]:
        with self.transaction() as session:
            return queries.criterion_titles(session)

    def failed_titles(self) -> dict[str, str]:
        with self.transaction() as session:
            return queries.failed_titles(session)

    def serious_error_kinds(self) -> list:
        with self.transaction() as session:
            return queries.serious_error_kinds(session)

    def agent_report(self, agent_id: str | None) -> AgentReport:
        """One agent's pass rates and scores over time; the whole team's with `agent_id` None."""
        with self.transaction() as session:
            return queries.agent_report(session, agent_id)

    def team_weeks(self) -> list:
        """`WeekChange` per criterion: team fails in the latest call's week against the week before."""
        with self.transaction() as session:
            return queries.team_weeks(session)

    def calibration(self) -> list[CalibrationRow]:
        with self.transaction() as session:
            return queries.calibration(session)

    def agreement(self) -> dict:
        """Criterion id -> `qa_pipeline.store.agreement.Agreement` (confusion, kappa, months)."""
        from qa_pipeline.store import agreement

        with self.transaction() as session:
            return agreement.agreement(session)

    def library(self, criterion_id: str, verdict: str, limit: int = 200) -> list[LibraryHit]:
        with self.transaction() as session:
            return queries.library(session, criterion_id, verdict, limit)

    def kpi_calls(self, agent_id: str | None = None) -> list:
        """`qa_pipeline.store.kpis.KpiCall` per dated call (of one agent with `agent_id`)."""
        from qa_pipeline.store import kpis

        with self.transaction() as session:
            return kpis.kpi_calls(session, agent_id)

    def callbacks_due(self, today: date, agent_id: str | None = None) -> list:
        """`qa_pipeline.store.kpis.Callback` per card whose next contact date is `today` or earlier."""
        from qa_pipeline.store import kpis

        with self.transaction() as session:
            return kpis.callbacks_due(session, today, agent_id)

    def stored_audio(self, limit: int) -> list[StoredAudio]:
        """Where the latest `limit` calls' recordings were stored from (the app plays the redacted copy if any)."""
        with self.transaction() as session:
            found = session.execute(select(Call.call_label, Call.audio_path, Call.redacted_audio_path)
                                    .order_by(Call.created_at.desc(), Call.id.desc()).limit(limit)).all()
            return [StoredAudio(*row) for row in found]

    def log_access(self, user_id: int, scorecard_id: int, action: str) -> None:
        """Record that a user opened a call (`page`) or took a clip of it (`clip`); ids only."""
        with self.transaction() as session:
            session.add(AccessEntry(user_id=user_id, scorecard_id=scorecard_id, action=action, created_at=utcnow()))

    def access_log(self, scorecard_id: int, limit: int = 50) -> list[tuple[str, str, datetime]]:
        """(user name, action, time) of the latest openings of a call, newest first."""
        with self.transaction() as session:
            entries = session.scalars(select(AccessEntry).where(AccessEntry.scorecard_id == scorecard_id)
                                      .order_by(AccessEntry.id.desc()).limit(limit)).all()
            return [(e.user.name, e.action, e.created_at) for e in entries]

    # -- accounts ---------------------------------------------------------------------------

    def add_user(self, name: str, role: str, password: str, agent_id: str | None = None) -> UserView:
        with self.transaction() as session:
            return accounts.add_user(session, name, role, password, agent_id, utcnow())

    def set_password(self, name: str, password: str) -> UserView:
        """Replace a user's password and end all their sessions (LookupError if there is no such user)."""
        with self.transaction() as session:
            return accounts.set_password(session, name, password)

    def set_active(self, name: str, active: bool) -> UserView:
        """Enable or disable a user; disabling ends all their sessions (LookupError if no such user)."""
        with self.transaction() as session:
            return accounts.set_active(session, name, active)

    def authenticate(self, name: str, password: str) -> UserView | None:
        with self.transaction() as session:
            return accounts.authenticate(session, name, password)

    def start_session(self, user_id: int, ttl_s: float) -> tuple[str, str]:
        """A new login session: (secret cookie token, CSRF token)."""
        with self.transaction() as session:
            return accounts.start_session(session, user_id, ttl_s, utcnow())

    def session_user(self, token: str) -> tuple[UserView, str] | None:
        """(user, CSRF token) for a live session token; None when unknown or expired."""
        with self.transaction() as session:
            return accounts.session_user(session, token, utcnow())

    def end_session(self, token: str) -> None:
        with self.transaction() as session:
            accounts.end_session(session, token)


def _scorecard(session: Session, scorecard_id: int) -> ScorecardRow:
    row = session.get(ScorecardRow, scorecard_id) if 0 < scorecard_id <= MAX_ROW_ID else None
    if row is None:
        raise LookupError(f"no scorecard {scorecard_id}")
    return row


def _criterion(session: Session, scorecard_id: int, criterion_id: str) -> CriterionRow:
    _scorecard(session, scorecard_id)
    result = session.scalar(
        select(CriterionRow).where(CriterionRow.scorecard_id == scorecard_id, CriterionRow.criterion_id == criterion_id)
    )
    if result is None:
        raise LookupError(f"scorecard {scorecard_id} has no criterion {criterion_id!r}")
    return result


def _latest_verdict(session: Session, scorecard_id: int, criterion_id: str) -> str | None:
    return session.scalar(
        select(Override.verdict)
        .where(Override.scorecard_id == scorecard_id, Override.criterion_id == criterion_id)
        .order_by(Override.id.desc())
        .limit(1)
    )


def _override(session: Session, scorecard_id: int, criterion_id: str, verdict: str, comment: str, user_id: int,
              when: datetime | None = None) -> int:
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}, got {verdict!r}")
    if not comment.strip():
        raise ValueError("an override needs a comment")
    result = _criterion(session, scorecard_id, criterion_id)
    override = Override(scorecard_id=scorecard_id, criterion_id=criterion_id, machine_verdict=result.verdict,
                        verdict=verdict, comment=comment.strip(), user_id=user_id, created_at=when or utcnow())
    session.add(override)
    session.flush()
    return override.id


def _same_rubric(row: ScorecardRow, card: Scorecard) -> None:
    """Refuse to replace a card scored by another rubric that kept the same id and version."""
    if row.rubric_sha256 and card.rubric_sha256 and row.rubric_sha256 != card.rubric_sha256:
        raise ConfigError(
            f"rubric {card.rubric_id}/{card.rubric_version} has changed (content {card.rubric_sha256[:12]}, the stored "
            f"cards were scored with {row.rubric_sha256[:12]}): give the changed rubric a new version or id, so "
            "that it is stored as its own rubric; `qa-pipeline rescore --rubric FILE` shows what it changes"
        )


def _call_record(session: Session, sha: str, card: Scorecard, audio_path: str, when: datetime | None) -> Call:
    """The stored call a card of content `sha` belongs to, or a new one added to `session`.

    By content hash; else a snapshot of this recording: a call stored from the same
    `audio_path` under the same call id, shorter than this card and not of another
    `call_time`, as when a file was scored while its recorder still wrote it (issue 22). The
    completed recording wins: that record takes its hash, and its scorecard of this rubric
    is replaced as on any re-score, so one call stays one record.
    """
    call = session.scalar(select(Call).where(Call.content_sha256 == sha))
    if call is not None:
        return call
    snapshot = session.scalar(select(Call).where(
        Call.audio_path == audio_path, Call.call_label == card.call_id, Call.duration_s < card.duration_s,
    ).order_by(Call.id.desc()).limit(1))
    if snapshot is not None and (when is None or snapshot.call_time in (None, when)):
        snapshot.content_sha256 = sha
        return snapshot
    call = Call(content_sha256=sha, created_at=utcnow())
    session.add(call)
    return call
