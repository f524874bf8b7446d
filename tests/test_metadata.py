from pathlib import Path

import pytest

from qa_pipeline.errors import RecordingError
from qa_pipeline.metadata import (
    metadata_from_filename,
    parse_metadata_csv,
    parse_sidecar,
    read_metadata,
)
from qa_pipeline.records import CallMetadata


@pytest.mark.parametrize(
    ("stem", "expected"),
    [
        ("C01", CallMetadata(call_id="C01")),
        ("call 7", CallMetadata(call_id="call 7")),
        ("agent-anna_2026-11-02T091400_C01",
         CallMetadata(call_id="C01", agent_id="agent-anna", call_time="2026-11-02T09:14:00")),
        ("sam_20261102T17:05:09_inbound_42",
         CallMetadata(call_id="inbound_42", agent_id="sam", call_time="2026-11-02T17:05:09")),
        ("agent-anna_yesterday_C01", CallMetadata(call_id="agent-anna_yesterday_C01")),
    ],
)
def test_metadata_from_filename(stem, expected):
    assert metadata_from_filename(stem) == expected


def test_csv_rows_are_keyed_by_file_and_blank_cells_dropped():
    text = "file,call_id,agent_id,call_time,customer_name\nC01.flac,C01,agent-anna,2026-11-02T09:14:00,\n"
    assert parse_metadata_csv(text) == {
        "C01.flac": {"call_id": "C01", "agent_id": "agent-anna", "call_time": "2026-11-02T09:14:00"}
    }


def test_csv_without_file_column_is_rejected_with_the_columns_found():
    with pytest.raises(ValueError, match=r"metadata.csv: needs a 'file' column, found \['call_id', 'agent_id'\]"):
        parse_metadata_csv("call_id,agent_id\nC01,anna\n")


@pytest.mark.parametrize("text", ["", "\n"])
def test_empty_csv_has_no_rows(text):
    assert parse_metadata_csv(text) == {}


def test_csv_ignores_unknown_columns():
    assert parse_metadata_csv("file,agent_id,mood\nC01.wav,anna,happy\n") == {"C01.wav": {"agent_id": "anna"}}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"agent_id": "anna", "customer_name": "Maria Lopez"}', {"agent_id": "anna", "customer_name": "Maria Lopez"}),
        ('{"agent_id": null, "queue": "sales"}', {}),
        ('{"call_id": 17}', {"call_id": "17"}),
    ],
)
def test_parse_sidecar(text, expected):
    assert parse_sidecar(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ('["agent_id"]', "expected a JSON object, got list"),
    ],
)
def test_bad_sidecar_is_rejected(text, message):
    with pytest.raises(ValueError, match=message):
        parse_sidecar(text)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_read_metadata_without_files_uses_the_stem(tmp_path):
    assert read_metadata(tmp_path / "C09.wav") == CallMetadata(call_id="C09")


def test_read_metadata_csv_row_matched_by_file_name(tmp_path):
    _write(tmp_path / "metadata.csv", "file,call_id,agent_id,call_time\nC01.flac,call-1,agent-anna,2026-11-02T09:14:00\n")
    assert read_metadata(tmp_path / "C01.flac") == CallMetadata(
        call_id="call-1", agent_id="agent-anna", call_time="2026-11-02T09:14:00"
    )


def test_read_metadata_csv_row_matched_by_stem(tmp_path):
    _write(tmp_path / "metadata.csv", "file,agent_id\nC02,agent-sam\n")
    assert read_metadata(tmp_path / "C02.wav") == CallMetadata(call_id="C02", agent_id="agent-sam")


def test_sidecar_overrides_csv_field_by_field(tmp_path):
    _write(tmp_path / "metadata.csv", "file,agent_id,call_time\nC03.wav,agent-sam,2026-11-02T10:00:00\n")
    _write(tmp_path / "C03.meta.json", '{"agent_id": "agent-irene", "customer_name": "Tom Baker"}')
    assert read_metadata(tmp_path / "C03.wav") == CallMetadata(
        call_id="C03", agent_id="agent-irene", customer_name="Tom Baker", call_time="2026-11-02T10:00:00"
    )


def test_bad_sidecar_names_the_recording_and_the_sidecar(tmp_path):
    sidecar = _write(tmp_path / "C04.meta.json", "{oops")
    with pytest.raises(RecordingError) as caught:
        read_metadata(tmp_path / "C04.wav")
    assert caught.value.path == str(tmp_path / "C04.wav")
    assert caught.value.reason.startswith(f"metadata: {sidecar}: not valid JSON")
