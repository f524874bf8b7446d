"""Records of a scheduled run, shared by the inbox (`qa_pipeline.inbox`) and the ledger
(`qa_pipeline.ledger`): what was found in the inbox, what a run plans to do, and what it
finished. Both modules import them from here, so neither imports the other's records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

SCORED = "scored"
QUARANTINED = "quarantined"


@dataclass(frozen=True)
class InboxFile:
    """A recording found in the inbox, before its content is read."""

    url: str  # what to open: a local path, or a URL with its protocol
    relpath: str  # posix path below the inbox root, e.g. "2026-11-02/anna/C01.flac"
    size: int
    stamp: str  # modification time as the file system reports it; "" when unknown
    # As fsspec lists it: "file", "directory", "other" (a broken link, a pipe), or
    # "unlistable" for a local folder that cannot be read.
    kind: str = "file"


@dataclass(frozen=True)
class Call:
    """An inbox recording with its identity, ready to be scored."""

    file: InboxFile
    content_sha256: str
    key: str
    # Why the entry cannot be scored, found while listing or hashing it (a broken link,
    # a folder named like a recording, an unreadable file); "" for a readable recording.
    fault: str = ""


@dataclass(frozen=True)
class Plan:
    """What a run has to do: calls to score, and what it skips and why."""

    pending: tuple[Call, ...]
    already_done: tuple[Call, ...] = ()
    duplicates: tuple[tuple[Call, str], ...] = ()  # (call, relpath of the same content)


@dataclass(frozen=True)
class LedgerEntry:
    """One finished call: scored (with its outputs and results) or quarantined (with why)."""

    key: str
    content_sha256: str
    relpath: str
    size: int
    stamp: str
    status: str
    finished_at: str
    score: float | None = None
    verdicts: Mapping[str, str] = field(default_factory=dict)
    outputs: tuple[str, ...] = ()
    reason: str = ""
