"""How a processed call is identified: the recording's content plus what scored it.

The same bytes scored by the same rubric and ASR model give the same key, so
re-runs can skip work and stores can refuse duplicates whatever the file is called.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import BinaryIO

_CHUNK = 1 << 20


def content_hash(path: str | Path) -> str:
    """SHA-256 of the file's bytes, as hex."""
    with open(path, "rb") as fh:
        return stream_hash(fh)


def stream_hash(fh: BinaryIO) -> str:
    """SHA-256 of everything left in an open binary file, as hex."""
    digest = hashlib.sha256()
    while chunk := fh.read(_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def processing_key(content_sha256: str, rubric: str, asr_model: str) -> str:
    """A short stable key for (recording content, rubric id/version, ASR model)."""
    material = f"{content_sha256}|{rubric}|{asr_model}".encode()
    return hashlib.sha256(material).hexdigest()[:24]
