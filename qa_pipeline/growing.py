"""Recordings still being written: left for the next run, with the reason.

A recorder (or a copy into the inbox) writes a call over minutes; scoring a snapshot
gives a card for part of a call (a 34 s snapshot of a 94 s call failed `said_goodbye`,
issue 22). A file is taken as finished when nothing changed it for `settle_s` seconds
(its mtime and its ctime: a copy that sets an old mtime at the end still changes the
ctime), and, for `unfinished_wait_s` after its last change, only when its header agrees
with its size: WAV writers fill in the RIFF and data sizes, and FLAC encoders the total
sample count, when they close the file. Past that wait a file whose header still
disagrees is scored; the loader then warns that the call is truncated.

`settled(path)` is the check the batch and the inbox flows call before a file is read.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from qa_pipeline.errors import ConfigError

# The default settle time. Recorders and network copies write every few seconds while a
# call lasts (a 16 kHz 16-bit WAV grows 32 kB a second); 10 s without a change is several
# missed writes, yet an operator who copies a file in and scores it waits little.
DEFAULT_SETTLE_S = 10.0
# Where a site (or a test suite that writes recordings moments before scoring them) sets it.
SETTLE_ENV = "QA_PIPELINE_SETTLE_S"
# How long after its last change a file with an unfinished header is waited for.
UNFINISHED_WAIT_S = 600.0
_RIFF_PLACEHOLDERS = (0, 0xFFFFFFFF, 0x7FFFFFFF)


def default_settle_s() -> float:
    """The settle time when none is given: `$QA_PIPELINE_SETTLE_S`, else `DEFAULT_SETTLE_S` (0 turns the check off)."""
    text = os.environ.get(SETTLE_ENV, "").strip()
    try:
        return float(text) if text else DEFAULT_SETTLE_S
    except ValueError:
        raise ConfigError(f"${SETTLE_ENV} must be a number of seconds, not {text!r}") from None


def settled(path: str | Path, settle_s: float = DEFAULT_SETTLE_S, unfinished_wait_s: float = UNFINISHED_WAIT_S,
            clock: Callable[[], float] = time.time) -> str | None:
    """None when `path` looks finished, else why it is left for the next run (one line).

    A path that cannot be stat'ed gives None: the loader reports a missing or unreadable
    file with its own reason. `settle_s=0` turns the check off.
    """
    if settle_s <= 0:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    age = clock() - max(stat.st_mtime, stat.st_ctime)
    if age < settle_s:
        return (f"still being written (changed {max(age, 0.0):.1f} s ago, less than the settle time of "
                f"{settle_s:g} s); left for the next run")
    if age < unfinished_wait_s:
        problem = unfinished_header(path, stat.st_size)
        if problem:
            return f"still being written ({problem}, changed {age:.0f} s ago); left for the next run"
    return None


def unfinished_header(path: str | Path, size: int) -> str | None:
    """Why the header of a WAV or FLAC file says it was not closed yet; None when it agrees
    with `size` (bytes) or makes no promise (another format)."""
    try:
        with open(path, "rb") as stream:
            head = stream.read(64)
    except OSError:
        return None
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        riff = int.from_bytes(head[4:8], "little")
        if riff in _RIFF_PLACEHOLDERS:
            return "its WAV header has no size yet"
        if riff + 8 > size:
            return f"its WAV header promises {riff + 8} bytes, the file holds {size}"
    if head[:4] == b"fLaC" and len(head) >= 26 and head[4] & 0x7F == 0:  # STREAMINFO comes first
        total = int.from_bytes(head[21:26], "big") & 0xFFFFFFFFF  # 36 bits: samples per channel
        if total == 0:
            return "its FLAC header has no length yet"
    return None
