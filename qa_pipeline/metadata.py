"""Call metadata (agent id, call time, customer name, direction) from the files beside a recording.

Three sources, most specific last so it wins field by field:

1. the file name: ``agent-anna_2026-11-02T091400_C01.wav`` gives agent, time and call id
   (see `FILENAME_PATTERN`); any other name gives just the call id (the stem);
2. a ``metadata.csv`` in the recording's folder, one row per recording, matched on its
   ``file`` column (file name or stem); columns: file, call_id, agent_id, call_time,
   customer_name, direction (``inbound`` or ``outbound``), language (a code such as ``ja``,
   or ``auto`` for Whisper's detection; see `qa_pipeline.languages`), all but ``file`` optional;
3. a sidecar ``<stem>.meta.json`` with any of the same keys.

Parsing is pure; `read_metadata` is the one function that touches the disk.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from dataclasses import fields, replace
from pathlib import Path

from qa_pipeline.errors import ConfigError, RecordingError
from qa_pipeline.languages import checked_language
from qa_pipeline.records import DIRECTIONS, CallMetadata

METADATA_CSV = "metadata.csv"
SIDECAR_SUFFIX = ".meta.json"
FIELDS = tuple(f.name for f in fields(CallMetadata))

# <agent>_<YYYY-MM-DDTHHMMSS or YYYYMMDDTHHMMSS>_<call id>; the separators are
# underscores because agent ids and ISO dates use hyphens themselves.
FILENAME_PATTERN = re.compile(
    r"^(?P<agent_id>[^_]+)_(?P<date>\d{4}-?\d{2}-?\d{2})T(?P<time>\d{2}:?\d{2}:?\d{2})_(?P<call_id>.+)$"
)


def metadata_from_filename(stem: str) -> CallMetadata:
    """What a file name tells: at least the call id, and agent and time when it follows the pattern."""
    match = FILENAME_PATTERN.match(stem)
    if match is None:
        return CallMetadata(call_id=stem)
    date = match["date"].replace("-", "")
    time = match["time"].replace(":", "")
    call_time = f"{date[:4]}-{date[4:6]}-{date[6:]}T{time[:2]}:{time[2:4]}:{time[4:]}"
    return CallMetadata(call_id=match["call_id"], agent_id=match["agent_id"], call_time=call_time)


def parse_metadata_csv(text: str, source: str = METADATA_CSV) -> dict[str, dict[str, str]]:
    """Rows of a metadata.csv keyed by their ``file`` column; blank cells are left out."""
    if not text.strip():
        return {}
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or "file" not in reader.fieldnames:
        raise ValueError(f"{source}: needs a 'file' column, found {reader.fieldnames or 'no header'}")
    rows: dict[str, dict[str, str]] = {}
    for row in reader:
        name = (row.get("file") or "").strip()
        if not name:
            continue
        rows[name] = {k: v.strip() for k, v in row.items() if k in FIELDS and v and v.strip()}
    return rows


def parse_sidecar(text: str, source: str = SIDECAR_SUFFIX) -> dict[str, str]:
    """The known keys of a sidecar JSON object; unknown keys are ignored."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{source}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{source}: expected a JSON object, got {type(data).__name__}")
    return {k: str(v) for k, v in data.items() if k in FIELDS and v not in (None, "")}


def merge_metadata(base: CallMetadata, overrides: Mapping[str, str]) -> CallMetadata:
    """`base` with the given fields replaced (`ValueError` for a direction other than inbound/outbound,
    or a language with no `qa_pipeline.languages` module)."""
    fields_ = {k: v for k, v in overrides.items() if k in FIELDS}
    if "direction" in fields_:
        fields_["direction"] = fields_["direction"].strip().lower()
        if fields_["direction"] not in DIRECTIONS:
            raise ValueError(f"direction must be 'inbound' or 'outbound', got {overrides['direction']!r}")
    if "language" in fields_:
        try:
            fields_["language"] = checked_language(fields_["language"], allow_auto=True) or ""
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
    return replace(base, **fields_)


def row_for(rows: Mapping[str, Mapping[str, str]], recording: Path) -> Mapping[str, str]:
    """The metadata.csv row naming this recording, by file name or by stem."""
    return rows.get(recording.name) or rows.get(recording.stem) or {}


def sidecar_path(recording: Path) -> Path:
    return recording.with_name(recording.stem + SIDECAR_SUFFIX)


def read_metadata(recording: str | Path) -> CallMetadata:
    """Metadata for one recording from its name, its folder's metadata.csv and its sidecar.

    Raises `RecordingError` naming the recording when a metadata file beside it is malformed.
    """
    path = Path(recording)
    metadata = metadata_from_filename(path.stem)
    try:
        table = path.with_name(METADATA_CSV)
        if table.is_file():
            rows = parse_metadata_csv(table.read_text(encoding="utf-8-sig"), str(table))
            metadata = merge_metadata(metadata, row_for(rows, path))
        sidecar = sidecar_path(path)
        if sidecar.is_file():
            metadata = merge_metadata(metadata, parse_sidecar(sidecar.read_text(encoding="utf-8"), str(sidecar)))
    except (ValueError, OSError, csv.Error) as exc:
        raise RecordingError(str(path), f"metadata: {exc}") from exc
    return metadata
