"""Records of a scheduled run, shared by the inbox (`qa_pipeline.inbox`) and the run plan
(`qa_pipeline.runs`): what was found in the inbox, and what a run plans to do. What a run
finished is kept in the results store's claims (`qa_pipeline.store.claims`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

# A call's claim (`qa_pipeline.store.claims`): taken by a run, or finished one way or the other.
CLAIMED = "claimed"
DONE = "done"
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


class KnownFile(Protocol):
    """A file a run has seen before, with its hash (a `qa_pipeline.store.claims.Claim`)."""

    @property
    def relpath(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def stamp(self) -> str: ...
    @property
    def content_sha256(self) -> str: ...


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
    already_done: tuple[Call, ...] = ()  # finished by an earlier run (done, or quarantined)
    duplicates: tuple[tuple[Call, str], ...] = ()  # (call, relpath of the same content)
    # Output file stem per relpath, chosen over the whole inbox (`inbox.output_stems_for`).
    stems: Mapping[str, str] = field(default_factory=dict)
    # Files still being written, left for the next run: (relpath, reason) (`growing.settled`).
    waiting: tuple[tuple[str, str], ...] = ()
