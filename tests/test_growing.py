"""Recordings still being written are left for the next run, with the reason (issue 22).

Snapshots are made as they happen: a copy cut part-way (the header promises the whole
call), and headers as writers leave them until they close the file.
"""

from __future__ import annotations

import json
import os
import time

import numpy as np
import soundfile as sf
from click.testing import CliRunner

from qa_pipeline import run_state as rs
from qa_pipeline import runs as rn
from qa_pipeline.cli import main
from qa_pipeline.growing import settled
from qa_pipeline.inbox import list_inbox, split_settled
from qa_pipeline.store import claims as cl

TONE = (0.1 * np.sin(np.arange(8000) / 8000 * 2 * np.pi * 440)).astype(np.float32)


def _later(seconds: float):
    return lambda: time.time() + seconds


def test_a_file_changed_within_the_settle_time_waits_and_a_quiet_one_is_scored(tmp_path):
    path = tmp_path / "call.wav"
    sf.write(path, TONE, 8000)
    reason = settled(path, settle_s=10)
    assert reason and reason.startswith("still being written (changed") and "left for the next run" in reason
    assert settled(path, settle_s=10, clock=_later(11)) is None
    assert settled(path, settle_s=0) is None  # the check turned off


def test_a_wav_being_copied_waits_while_its_header_promises_more_than_it_holds(tmp_path):
    """A copy writes the whole call's header first: while the file holds less, it is waited
    for (issue 22), for 10 minutes after its last change; then it is scored as truncated."""
    whole = tmp_path / "whole.wav"
    sf.write(whole, np.tile(TONE, 10), 8000, subtype="PCM_16")
    snapshot = tmp_path / "copy.wav"  # a copy a third of the way through: header first, then data
    snapshot.write_bytes(whole.read_bytes()[: whole.stat().st_size // 3])
    assert settled(snapshot, settle_s=10).startswith("still being written (changed")
    reason = settled(snapshot, settle_s=1, clock=_later(5))  # quiet for 5 s, still short
    assert reason and "the file holds 33.3 % of the length its WAV header promises" in reason
    assert settled(snapshot, settle_s=1, clock=_later(700)) is None  # long quiet: scored, as truncated
    assert settled(whole, settle_s=1, clock=_later(5)) is None


def test_a_wav_whose_writer_has_not_filled_in_its_size_waits(tmp_path):
    path = tmp_path / "call.wav"
    sf.write(path, TONE, 8000, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    data[4:8] = (0xFFFFFFFF).to_bytes(4, "little")  # a streaming writer's placeholder
    path.write_bytes(bytes(data))
    assert "WAV header has no size yet" in settled(path, settle_s=1, clock=_later(5))
    assert settled(path, settle_s=1, clock=_later(700)) is None  # quiet for 10 minutes: the writer is gone


def test_a_wav_libsndfile_is_still_writing_waits(tmp_path):
    """libsndfile fills in the sizes when it closes the file: until then its header says
    RIFF 8 bytes and `data` 0 bytes, whatever the file holds."""
    path = tmp_path / "call.wav"
    with sf.SoundFile(path, "w", 8000, 1, subtype="PCM_16") as writer:
        writer.write(np.tile(TONE, 3))
        writer.flush()
        assert path.stat().st_size > 44
        assert "WAV header has no size yet" in settled(path, settle_s=1, clock=_later(5))
    assert settled(path, settle_s=1, clock=_later(5)) is None


def test_a_flac_whose_encoder_has_not_written_its_length_waits(tmp_path):
    path = tmp_path / "call.flac"
    sf.write(path, TONE, 8000, format="FLAC")
    data = bytearray(path.read_bytes())
    data[21:26] = bytes([data[21] & 0xF0, 0, 0, 0, 0])  # STREAMINFO total samples: 0, as while encoding
    path.write_bytes(bytes(data))
    assert "FLAC header has no length" in settled(path, settle_s=1, clock=_later(5))
    sf.write(path, TONE, 8000, format="FLAC")
    assert settled(path, settle_s=1, clock=_later(5)) is None


def test_the_inbox_leaves_growing_files_out_of_the_run_with_their_reason(tmp_path):
    old, new = tmp_path / "old.wav", tmp_path / "new.wav"
    sf.write(old, TONE, 8000)
    sf.write(new, TONE, 8000)
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    # utime sets the ctime to now: the old file counts as changed just now too, as a
    # preserved-mtime copy that has just finished would.
    ready, waiting = split_settled(list_inbox(str(tmp_path)), settle_s=0.5)
    assert [f.relpath for f, _ in waiting] == ["new.wav", "old.wav"] and not ready
    time.sleep(0.6)
    ready, waiting = split_settled(list_inbox(str(tmp_path)), settle_s=0.5)
    assert [f.relpath for f in ready] == ["new.wav", "old.wav"] and not waiting


def test_a_folder_named_like_a_recording_is_no_growing_file(tmp_path):
    """A folder just made is not "still being written": the loader says what it is."""
    folder = tmp_path / "folder.wav"
    folder.mkdir()
    assert settled(folder, settle_s=600) is None
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["score", str(folder), "--out", str(out), "--no-db", "--settle-s", "600"])
    assert result.exit_code != 0 and "folder.wav  error: is a folder, not an audio file" in result.output
    assert [e["reason"] for e in json.loads((out / "errors.json").read_text())] == ["is a folder, not an audio file"]


def test_the_run_summary_counts_files_left_for_the_next_run_as_unfinished(tmp_path):
    """The flows' plan and summary: a file still being written is to score and unfinished."""
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    for name in ("a.wav", "b.wav"):
        sf.write(inbox / name, TONE, 8000)
    state = rs.open_run_state(out)
    try:
        plan = rs.plan_inbox(state, str(inbox), out, "etiquette/1", "tiny.en", settle_s=60)
        summary = rn.summarize(plan, cl.claims_for(state, [c.key for c in plan.pending]), {})
    finally:
        state.close()
    assert [relpath for relpath, _ in plan.waiting] == ["a.wav", "b.wav"] and not plan.pending
    assert (summary.to_score, summary.scored, summary.unfinished, summary.waiting) == (2, 0, 2, 2)
    assert "- unfinished (left to the next run): 2 (2 still being written)" in rn.summary_markdown(summary)


def test_an_empty_finished_wav_and_one_a_pad_byte_short_are_not_waited_for(tmp_path):
    """A `data` size of 0 with nothing after it is an empty recording, not a writer's
    placeholder (the loader rejects it at once); a header one byte over the file is a
    writer that counted a pad byte it never wrote."""
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros(0, np.float32), 8000, subtype="PCM_16")
    assert settled(empty, settle_s=1, clock=_later(5)) is None
    short = tmp_path / "short.wav"
    sf.write(short, TONE, 8000, subtype="PCM_16")
    data = bytearray(short.read_bytes())
    data[4:8] = (int.from_bytes(data[4:8], "little") + 1).to_bytes(4, "little")
    short.write_bytes(bytes(data))
    assert settled(short, settle_s=1, clock=_later(5)) is None
