"""Where a recording's transcript is kept between runs: keyed by audio content and ASR settings.

The cache holds transcripts redacted (the site's redaction settings), so a re-run skips
speech recognition without keeping PII on disk. Entries are written to a temporary file
and renamed, so a reader (or a run killed midway) never sees half a file; a damaged
entry is simply redone.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from qa_pipeline import __version__
from qa_pipeline.contract import transcript_from_dict, transcript_to_dict
from qa_pipeline.errors import RecordingError
from qa_pipeline.identity import content_hash
from qa_pipeline.records import Transcript

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str) -> str:
    """`name` with every run of characters unsafe in a file name replaced by `_`."""
    return _UNSAFE.sub("_", name).strip("_") or "recording"


def recording_hash(path: Path) -> str:
    """The recording's content hash (hex SHA-256), as a `RecordingError` if the file cannot be read."""
    from qa_pipeline.speech.audio import check_path

    check_path(path)  # a folder, a broken link or a pipe is reported before it is opened
    try:
        return content_hash(path)
    except FileNotFoundError as exc:
        raise RecordingError(str(path), "file not found (it disappeared while being read)") from exc
    except OSError as exc:
        raise RecordingError(str(path), f"cannot be read ({exc.strerror or exc})") from exc


def cache_path(cache_dir: Path, content_sha256: str, asr_options, variant: str = "") -> Path:
    """`DIR/<sha256>.<model>.<settings key>.v<package version>[.<variant>].json`: one transcript of this content.

    A transcript records decisions besides the words (who is the agent, the call's
    direction, which stretches were the other party's leak), and a release can change
    how they are made; so one version never reuses another's transcripts, and the first
    run after an upgrade transcribes again. `variant` names a transcript made from
    something other than the file as recorded (`"mixdown"`: its channels mixed down to mono).
    """
    from qa_pipeline.speech.asr import model_label, settings_key

    suffix = f".{variant}" if variant else ""
    name = (f"{content_sha256}.{safe_name(model_label(asr_options))}.{settings_key(asr_options)}"
            f".v{safe_name(__version__)}{suffix}.json")
    return Path(cache_dir) / name


def read_cached(path: Path) -> Transcript | None:
    """The cached transcript at `path`, or None when absent or unreadable."""
    if not path.is_file():
        return None
    try:
        return transcript_from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError):
        return None  # a damaged entry is simply redone


def write_cached(path: Path, transcript: Transcript, recording: str) -> None:
    """Keep `transcript` (already redacted by the caller) at `path`, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.write_text(json.dumps(transcript_to_dict(transcript, recording)), encoding="utf-8")
    partial.replace(path)
