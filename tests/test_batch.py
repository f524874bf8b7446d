import json
from pathlib import Path

import pytest

from qa_pipeline.batch import discover_recordings, output_stems, score_paths
from qa_pipeline.contract import transcript_to_dict
from qa_pipeline.errors import ConfigError, RecordingError
from qa_pipeline.identity import content_hash
from qa_pipeline.pipeline import CallPipeline, CallSource, PipelineSettings, failure_reason
from qa_pipeline.records import AGENT, CUSTOMER, Transcript, Utterance
from qa_pipeline.rubric import load_rubric
from qa_pipeline.speech.asr import AsrOptions
from qa_pipeline.transcript_cache import cache_path as transcript_cache_path


def touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")


def test_folders_are_searched_recursively_for_audio_extensions(tmp_path):
    touch(tmp_path, "b.wav", "a.FLAC", "notes.txt", "metadata.csv", ".hidden.wav", "x/c.mp3", "x/y/d.ogg")
    found = discover_recordings([tmp_path])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["a.FLAC", "b.wav", "x/c.mp3", "x/y/d.ogg"]


def test_a_named_file_is_kept_whatever_its_extension(tmp_path):
    touch(tmp_path, "call.txt")
    assert discover_recordings([tmp_path / "call.txt"]) == [tmp_path / "call.txt"]


def test_inputs_keep_their_order_and_a_file_reached_twice_is_listed_once(tmp_path):
    touch(tmp_path, "z/1.wav", "a/2.wav")
    found = discover_recordings([tmp_path / "z", tmp_path / "a", tmp_path / "z" / "1.wav"])
    assert found == [tmp_path / "z" / "1.wav", tmp_path / "a" / "2.wav"]


def test_paths_stay_as_given(tmp_path, monkeypatch):
    touch(tmp_path, "calls/C01.wav")
    monkeypatch.chdir(tmp_path)
    assert discover_recordings(["calls"]) == [Path("calls/C01.wav")]


@pytest.mark.parametrize(
    ("paths", "expected"),
    [
        (["in/C01.wav", "in/C02.wav"], ["C01", "C02"]),
        (["north/C01.wav", "south/C01.wav", "south/C02.wav"], ["north__C01", "south__C01", "C02"]),
        (["2025/a/C01.wav", "2026/a/C01.wav"], ["2025__a__C01", "2026__a__C01"]),
        (["in/C01.wav", "in/C01.flac"], ["in__C01_wav", "in__C01_flac"]),
        (["in/call 1.wav"], ["call_1"]),
        (["/abs/x/C01.wav", "rel/x/C01.wav"], ["abs__x__C01", "rel__x__C01"]),
    ],
)
def test_output_stems_are_distinct(paths, expected):
    given = [Path(p) for p in paths]
    stems = output_stems(given)
    assert [stems[p] for p in given] == expected


def test_output_stems_do_not_reuse_a_name_another_recording_has():
    given = [Path("a/C01.wav"), Path("b/C01.wav"), Path("x/a__C01.wav")]
    stems = output_stems(given)
    assert len(set(stems.values())) == 3


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (RecordingError("in/x.wav", "not a readable audio file"), "not a readable audio file"),
        (ConfigError("rubric missing"), "rubric missing"),
        (ValueError("bad shape"), "unexpected ValueError: bad shape"),
    ],
)
def test_failure_reason(exc, expected):
    assert failure_reason(exc) == expected


def test_transcript_cache_key_names_content_model_and_package_version():
    from qa_pipeline import __version__

    name = transcript_cache_path(Path("c"), "abc", AsrOptions()).name
    assert name.startswith("abc.tiny.en.")
    assert name.endswith(f".v{__version__}.json")  # an upgrade transcribes again: roles and direction may change


@pytest.mark.parametrize(
    ("changed", "same_key"),
    [
        (AsrOptions(agent_channel=1), False),
        (AsrOptions(gap_s=1.2), False),
        (AsrOptions(crosstalk_margin_db=None), False),
        (AsrOptions(num_workers=4), True),
    ],
)
def test_transcript_cache_key_follows_settings_that_change_the_transcript(changed, same_key):
    default = transcript_cache_path(Path("c"), "abc", AsrOptions())
    assert (transcript_cache_path(Path("c"), "abc", changed) == default) is same_key


def test_a_batch_of_only_bad_files_reports_each_and_writes_empty_outputs(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "noise.wav").write_bytes(b"RIFF....WAVEfmt garbage")
    (inbox / "empty.flac").write_bytes(b"")
    (inbox / "bad.meta.json").write_text("{oops")
    (inbox / "bad.mp3").write_bytes(b"ID3")
    lines: list[str] = []
    result = score_paths([inbox], CallPipeline(PipelineSettings(None, AsrOptions())), out_dir=tmp_path / "out",
                         progress=lines.append)
    assert result.scored == ()
    errors = json.loads((tmp_path / "out" / "errors.json").read_text())
    assert [e["recording"] for e in errors] == [str(inbox / n) for n in ("bad.mp3", "empty.flac", "noise.wav")]
    assert errors[0]["reason"].startswith("metadata: ")
    assert all(e["reason"] for e in errors)
    assert (tmp_path / "out" / "summary.csv").read_text().startswith("call_id,recording,")
    assert [line.split("  ")[0] for line in lines] == ["[1/3] bad.mp3", "[2/3] empty.flac", "[3/3] noise.wav"]


# ---------------------------------------------------------------- scoring from cached transcripts (no ASR)

CALL = (
    Utterance(AGENT, 0.5, 4.0, "Good morning, Sunny Dental, my name is Daniel, how can I help you?"),
    Utterance(CUSTOMER, 4.5, 7.0, "Hi, this is Maria, I'd like to book a cleaning please."),
    Utterance(AGENT, 7.5, 11.0, "Of course Maria. Which day works best for you? Morning or afternoon?"),
    Utterance(CUSTOMER, 11.5, 12.5, "Tuesday morning."),
    Utterance(AGENT, 13.0, 16.0, "Tuesday at nine is booked. Thank you for calling, goodbye."),
)


def scoring(cache: Path) -> CallPipeline:
    """The etiquette pipeline reading transcripts from `cache`."""
    return CallPipeline(PipelineSettings(load_rubric("etiquette"), AsrOptions(), cache_dir=cache))


def cache_transcript(cache: Path, audio: Path, utterances=CALL) -> None:
    """Put a transcript for this file's bytes in the cache, so scoring needs no ASR."""
    path = transcript_cache_path(cache, content_hash(audio), AsrOptions())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(transcript_to_dict(Transcript(utterances, 17.0, 2, asr_model="tiny.en"))))


def test_transcribe_cached_returns_the_cached_transcript(tmp_path):
    audio = tmp_path / "C01.wav"
    audio.write_bytes(b"not audio: only the cache can answer")
    cache_transcript(tmp_path / "cache", audio)
    pipeline = CallPipeline(PipelineSettings(None, AsrOptions(), cache_dir=tmp_path / "cache"))
    assert pipeline.transcribe(pipeline.identify(CallSource(audio, "C01"))).utterances == CALL


def test_duplicate_stems_in_different_folders_get_their_own_outputs(tmp_path):
    cache = tmp_path / "cache"
    for folder, content in (("north", b"north call"), ("south", b"south call")):
        audio = tmp_path / "in" / folder / "C01.wav"
        audio.parent.mkdir(parents=True)
        audio.write_bytes(content)
        cache_transcript(cache, audio)
    result = score_paths([tmp_path / "in"], scoring(cache), tmp_path / "out")
    assert [s.stem for s in result.scored] == ["north__C01", "south__C01"]
    for stem, folder in (("north__C01", "north"), ("south__C01", "south")):
        data = json.loads((tmp_path / "out" / f"{stem}.json").read_text())
        assert data["recording"] == str(tmp_path / "in" / folder / "C01.wav")


def test_scored_calls_are_saved_to_the_store_once_however_often_scored(tmp_path):
    from datetime import datetime

    from qa_pipeline.store import open_store
    from qa_pipeline.store.views import CallFilter

    audio = tmp_path / "in" / "C01.wav"
    audio.parent.mkdir()
    audio.write_bytes(b"a call")
    (tmp_path / "in" / "metadata.csv").write_text("file,agent_id,call_time\nC01.wav,agent-daniel,2026-11-02T09:14:00\n")
    cache_transcript(tmp_path / "cache", audio)
    store = open_store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    try:
        for _ in range(2):
            score_paths([audio], scoring(tmp_path / "cache"), store=store)
        (row,) = store.list_calls(CallFilter()).rows
    finally:
        store.close()
    assert (row.agent_id, row.when) == ("agent-daniel", datetime(2026, 11, 2, 9, 14))


def test_a_setting_error_stops_the_batch_instead_of_failing_every_recording(root, tmp_path):
    clip = root / "tests" / "data" / "asr" / "two_speakers.flac"
    with pytest.raises(ConfigError, match="no such model folder"):
        score_paths([clip, clip.with_name("interruption.flac")],
                    CallPipeline(PipelineSettings(load_rubric("etiquette"), AsrOptions(model=str(tmp_path / "no-model")))),
                    tmp_path / "out")


def test_a_phone_number_in_the_file_name_reaches_no_output_and_the_batch_reports_redaction(tmp_path, monkeypatch):
    """Recorders name files by the caller's number: the pipeline's redact step gives the
    call id, the recording path and every output name a keyed pseudonym."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # the site's pseudonym key is made here
    number = "07700900123"
    audio = tmp_path / "in" / f"{number}_20261120.wav"
    audio.parent.mkdir()
    audio.write_bytes(b"a call by its number")
    cache_transcript(tmp_path / "cache", audio)
    lines: list[str] = []
    result = score_paths([audio], scoring(tmp_path / "cache"), tmp_path / "out", progress=lines.append)
    (scored,) = result.scored
    assert number not in scored.stem and scored.stem.endswith("_20261120")
    assert lines == [f"[1/1] {scored.stem}.wav  score {scored.card.score:.1f}"]  # named as the files are
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert f"{scored.stem}.json" in written and "redaction_report.json" in written
    for path in (tmp_path / "out").iterdir():
        assert number not in path.name and number not in path.read_text(errors="ignore"), path.name
    report = json.loads((tmp_path / "out" / "redaction_report.json").read_text())
    assert report["calls"] == 1


def test_a_recording_still_being_written_is_left_for_the_next_run_with_the_reason(tmp_path):
    audio = tmp_path / "in" / "C01.wav"
    audio.parent.mkdir()
    audio.write_bytes(b"a call still being recorded")
    cache_transcript(tmp_path / "cache", audio)
    waiting = CallPipeline(PipelineSettings(load_rubric("etiquette"), AsrOptions(), cache_dir=tmp_path / "cache",
                                            settle_s=60.0))
    result = score_paths([audio], waiting, tmp_path / "out")
    assert result.scored == () and "still being written" in result.failures[0].reason
    assert "left for the next run" in json.loads((tmp_path / "out" / "errors.json").read_text())[0]["reason"]
    later = score_paths([audio], scoring(tmp_path / "cache"), tmp_path / "out")  # settled: scored, error cleared
    assert len(later.scored) == 1 and json.loads((tmp_path / "out" / "errors.json").read_text()) == []


def test_a_store_locked_by_another_writer_fails_the_call_and_says_so(tmp_path):
    """The card is written, but a save the store refuses is that call's failure: in errors.json,
    and counted so that `score` exits non-zero (it used to print "scored 1 of 1")."""
    import sqlite3

    from qa_pipeline.store import open_store

    audio = tmp_path / "in" / "C01.wav"
    audio.parent.mkdir()
    audio.write_bytes(b"a call")
    cache_transcript(tmp_path / "cache", audio)
    path = tmp_path / "store.sqlite"
    store = open_store(f"sqlite:///{path}")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another writer holds the database
    try:
        result = score_paths([audio], scoring(tmp_path / "cache"), tmp_path / "out", store=store)
    finally:
        other.execute("ROLLBACK")
        other.close()
        store.close()
    assert result.scored == () and result.not_saved == 1
    (failure,) = json.loads((tmp_path / "out" / "errors.json").read_text())
    assert "not saved to the results store" in failure["reason"] and "locked" in failure["reason"]
    assert (tmp_path / "out" / "C01.json").is_file()
