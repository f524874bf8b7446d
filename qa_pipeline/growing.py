"""Recordings still being written: left for the next run, with the reason.

A recorder (or a copy into the inbox) writes a call over minutes; scoring a snapshot
gives a card for part of a call (a 34 s snapshot of a 94 s call failed `said_goodbye`,
issue 22). A file is taken as finished when nothing changed it for `settle_s` seconds
(its mtime and its ctime: a copy that sets an old mtime at the end still changes the
ctime), and, for `unfinished_wait_s` after its last change, only when its header is
finished and agrees with its size: a WAV writer that streams puts 0 or 0xFFFFFFFF (some
0x7FFFFFFF) in the RIFF or ``data`` size, and a FLAC encoder 0 in the total sample count,
until it closes the file; a copy (a slow network share, an upload that pauses) writes the
whole header first and the data after, so for a while the header promises more than the
file holds (issue 22: "a header that disagrees with the size" is still growing). Past that
wait the file is scored as it is: a writer that died never fills its header in, and a copy
that stopped is a truncated recording, which the loader warns about
(`qa_pipeline.speech.damage`); the flows count such a file as unfinished while it waits.

`settled(path)` is the check the batch and the inbox flows call before a file is read.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from pathlib import Path
from stat import S_ISREG

from qa_pipeline.errors import ConfigError

# The default settle time. Recorders and network copies write every few seconds while a
# call lasts (a 16 kHz 16-bit WAV grows 32 kB a second); 10 s without a change is several
# missed writes, yet an operator who copies a file in and scores it waits little.
DEFAULT_SETTLE_S = 10.0
# Where a site (or a test suite that writes recordings moments before scoring them) sets it.
SETTLE_ENV = "QA_PIPELINE_SETTLE_S"
# How long after its last change a file with a placeholder header is waited for.
UNFINISHED_WAIT_S = 600.0
# RIFF and `data` sizes a streaming WAV writer puts in the header until it closes the file:
# they promise no length.
UNKNOWN_SIZES = (0, 0xFFFFFFFF, 0x7FFFFFFF)
# Enough of a WAV file to reach its `data` chunk past `fmt `, `LIST`, `bext` and the like.
# (A `data` chunk further in is not seen: then only the RIFF size is checked.)
HEADER_BYTES = 1 << 16


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

    Anything but a regular file (a folder, a pipe) and a path that cannot be stat'ed give
    None: the loader reports each with its own reason. `settle_s=0` turns the check off.
    """
    if settle_s <= 0:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    if not S_ISREG(stat.st_mode):
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
    """Why the header of a WAV or FLAC file says it is not complete yet: its writer has not
    filled in its sizes, or (a WAV) it promises more than the file's `size` bytes hold. None
    when it agrees with `size` or makes no promise (another format)."""
    try:
        with open(path, "rb") as stream:
            head = stream.read(HEADER_BYTES)
    except OSError:
        return None
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        riff, data = int.from_bytes(head[4:8], "little"), wav_chunk(head, b"data")
        # A `data` size of 0 is a placeholder only with samples after it (an empty recording is finished).
        if riff in UNKNOWN_SIZES or (data and data[1] in UNKNOWN_SIZES and (data[1] or size > data[0] + 8)):
            return "its WAV header has no size yet"
        if riff + 8 > size + 1:  # one byte of slack: a writer that counts the pad byte it never writes
            # A share, not byte counts: the reason reaches errors.json, whose redaction reads long numbers as accounts.
            return f"the file holds {math.floor(1000 * size / (riff + 8)) / 10:g} % of the length its WAV header promises"
    if head[:4] == b"fLaC" and len(head) >= 26 and head[4] & 0x7F == 0:  # STREAMINFO comes first
        total = int.from_bytes(head[21:26], "big") & 0xFFFFFFFFF  # 36 bits: samples per channel
        if total == 0:
            return "its FLAC header has no length yet"
    return None


def wav_chunk(head: bytes, name: bytes) -> tuple[int, int] | None:
    """(offset, size in bytes) of the first chunk called `name` (4 bytes) in the start of a
    RIFF/WAVE file; None when `head` does not reach it."""
    pos = 12
    while pos + 8 <= len(head):
        chunk, size = head[pos:pos + 4], int.from_bytes(head[pos + 4:pos + 8], "little")
        if chunk == name:
            return pos, size
        pos += 8 + size + (size & 1)
    return None
