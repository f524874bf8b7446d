"""Full-text search over stored transcripts: SQLite FTS5 or PostgreSQL text search.

Migration 0007 builds the index: on SQLite the FTS5 table `utterances_fts` (Porter
stemmer, so "booking" finds "book"), on PostgreSQL a GIN index on
`to_tsvector('english', text)`. Both read a query as words that must all occur in one
utterance, in any order; punctuation and FTS operators the user types are plain text.
Other databases fall back to a case-insensitive substring match of the whole query.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Select, and_, false, func, literal_column, select, text
from sqlalchemy.orm import Session

from qa_pipeline.store.schema import UtteranceRow
from qa_pipeline.store.views import TranscriptHit

_WORD = re.compile(r"\w+", re.UNICODE)
_ENGLISH: Any = literal_column("'english'::regconfig")


def words(query: str) -> list[str]:
    """The words of a search query, lower-cased, in order: what every backend matches on."""
    return [w.lower() for w in _WORD.findall(query or "")]


def matching_utterances(dialect: str, query: str) -> Select:
    """Select (utterance id, scorecard id, position) of every utterance holding all the query's words."""
    found = select(UtteranceRow.id, UtteranceRow.scorecard_id, UtteranceRow.position)
    terms = words(query)
    if not terms:
        return found.where(false())
    if dialect == "sqlite":
        # Each word quoted: an FTS5 string, never an operator (NEAR, AND, a column filter).
        fts = " ".join(f'"{w}"' for w in terms)
        ids = text("SELECT rowid FROM utterances_fts WHERE utterances_fts MATCH :fts").bindparams(fts=fts)
        return found.where(UtteranceRow.id.in_(ids))
    if dialect == "postgresql":
        document = func.to_tsvector(_ENGLISH, UtteranceRow.text)
        return found.where(document.op("@@")(func.plainto_tsquery(_ENGLISH, " ".join(terms))))
    return found.where(and_(*(func.lower(UtteranceRow.text).contains(w) for w in terms)))


def first_hits(session: Session, query: str, scorecard_ids: list[int]) -> dict[int, TranscriptHit]:
    """Scorecard id -> its earliest utterance matching `query`, for the given scorecards."""
    if not scorecard_ids or not words(query):
        return {}
    matches = matching_utterances(session.get_bind().dialect.name, query).subquery()
    first = (
        select(matches.c.scorecard_id, func.min(matches.c.position).label("position"))
        .where(matches.c.scorecard_id.in_(scorecard_ids))
        .group_by(matches.c.scorecard_id)
        .subquery()
    )
    rows = session.execute(
        select(UtteranceRow).join(
            first, and_(first.c.scorecard_id == UtteranceRow.scorecard_id, first.c.position == UtteranceRow.position)
        )
    ).scalars()
    return {u.scorecard_id: TranscriptHit(u.speaker, u.start_s, u.end_s, u.text) for u in rows}


def forget_old_text(session: Session) -> None:
    """Drop what the search index still holds of replaced text (after re-redaction).

    SQLite's FTS5 keeps a deleted row's terms in its segments until they are merged, so
    text redacted in `utterances` could still be read from `utterances_fts_data`;
    'optimize' merges every segment, leaving only the current rows' terms. PostgreSQL's
    index is computed from the current rows and holds nothing to drop.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("INSERT INTO utterances_fts(utterances_fts) VALUES ('optimize')"))
