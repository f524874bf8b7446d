"""Concurrency and bounded pieces change no transcript and no verdict.

The pure parts (ordered_map, worker sizing, piece bounds, stage timing) are tested on
plain functions and signals. The ASR tests run real faster-whisper (bundled tiny.en) on
three short real stereo calls, once with one worker and once with two.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from qa_pipeline.batch import score_paths
from qa_pipeline.concurrency import available_cores, default_workers, ordered_map, with_workers
from qa_pipeline.errors import ConfigError
from qa_pipeline.pipeline import CallPipeline, PipelineSettings
from qa_pipeline.profiling import recording_stages, stage
from qa_pipeline.records import SAMPLE_RATE
from qa_pipeline.rubric import load_rubric
from qa_pipeline.speech.asr import AsrOptions, load_model, settings_key
from qa_pipeline.speech.audio import load_audio
from qa_pipeline.speech.decoding import piece_bounds, transcribe_channel

from _asr_helpers import clip_lines, clip_path, similarity

# --- ordered_map, worker sizing ------------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_ordered_map_keeps_input_order_whatever_finishes_first(workers):
    def slow_first(n):
        time.sleep(0.02 * (5 - n))
        return n * n

    assert list(ordered_map(slow_first, range(6), workers)) == [n * n for n in range(6)]


def test_ordered_map_runs_up_to_workers_at_once():
    running, peak, lock = [0], [0], threading.Lock()

    def work(n):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return n

    assert list(ordered_map(work, range(8), 3)) == list(range(8))
    assert peak[0] == 3


def test_ordered_map_raises_an_error_in_its_turn():
    def fail_on_two(n):
        if n == 2:
            raise ValueError("two")
        return n

    seen = []
    with pytest.raises(ValueError, match="two"):
        for value in ordered_map(fail_on_two, range(5), 2):
            seen.append(value)
    assert seen == [0, 1]


@pytest.mark.parametrize("workers, cores, threads", [(1, 2, 2), (2, 2, 1), (4, 2, 1), (4, 16, 4), (3, 16, 5)])
def test_workers_share_the_cores(workers, cores, threads):
    options = with_workers(AsrOptions(), workers, cores)
    assert (options.num_workers, options.cpu_threads) == (workers, threads)
    assert settings_key(options) == settings_key(AsrOptions())  # throughput only


def test_default_workers_fill_the_cores_or_follow_the_environment(monkeypatch):
    monkeypatch.delenv("QA_PIPELINE_ASR_WORKERS", raising=False)
    assert default_workers() == available_cores()
    monkeypatch.setenv("QA_PIPELINE_ASR_WORKERS", "3")
    assert default_workers() == 3
    for bad in ("0", "two"):
        monkeypatch.setenv("QA_PIPELINE_ASR_WORKERS", bad)
        with pytest.raises(ConfigError, match="worker"):
            default_workers()


# --- pieces and stage times ----------------------------------------------------------------


def test_short_channel_is_one_piece():
    assert piece_bounds(np.zeros(60 * SAMPLE_RATE, np.float32), 300.0) == [(0, 60 * SAMPLE_RATE)]


def test_long_channel_is_cut_at_its_quietest_moment_near_each_boundary():
    rng = np.random.default_rng(0)
    samples = (0.1 * rng.standard_normal(130 * SAMPLE_RATE)).astype(np.float32)
    quiet = [(31.0, 31.5), (68.0, 68.5)]  # inside the 20 s before the boundaries at 40 s and 40 s later
    for start, end in quiet:
        samples[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)] = 0.0
    bounds = piece_bounds(samples, 40.0)
    assert bounds[0][0] == 0 and bounds[-1][1] == len(samples)
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))  # no gap, no overlap
    cuts = [end / SAMPLE_RATE for _, end in bounds[:-1]]
    assert cuts[:2] == [pytest.approx(31.25, abs=0.25), pytest.approx(68.25, abs=0.25)]
    assert all(end - start <= 60 * SAMPLE_RATE for start, end in bounds)


def test_piece_length_below_the_search_window_is_a_config_error():
    with pytest.raises(ConfigError, match="piece"):
        AsrOptions(piece_s=10.0)


def test_stage_times_exclude_nested_stages_and_cost_nothing_unrecorded():
    with stage("ignored"):
        pass
    with recording_stages() as times:
        with stage("outer"):
            time.sleep(0.01)
            with stage("inner"):
                time.sleep(0.2)
    assert set(times) == {"outer", "inner"}
    # Had inner counted in outer, outer would be 0.21 s or more; sleeps overshoot on a busy machine.
    assert times["inner"] >= 0.2 and 0.01 <= times["outer"] < 0.2


# --- real ASR: workers and pieces change nothing -------------------------------------------

CALLS = ("sample_audio/C27.wav", "sample_audio/C19.wav", "tests/data/asr/interruption.flac")


def _run(root, tmp_path, workers):
    options = with_workers(AsrOptions(), workers, cores=2)
    load_model(options)
    lines: list[str] = []
    result = score_paths([root / c for c in CALLS], CallPipeline(PipelineSettings(load_rubric("etiquette"), options)),
                         tmp_path / f"w{workers}",
                         progress=lines.append, workers=workers)
    return result, lines


@pytest.fixture(scope="module")
def one_and_two(root, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("workers")
    return _run(root, tmp, 1), _run(root, tmp, 2)


@pytest.mark.asr
def test_two_workers_give_the_same_transcripts_as_one(one_and_two):
    (serial, _), (parallel, _) = one_and_two
    assert len(serial.cards) == len(parallel.cards) == len(CALLS)
    for a, b in zip(serial.cards, parallel.cards):
        assert a.transcript.utterances == b.transcript.utterances, a.call_id


@pytest.mark.asr
def test_two_workers_give_the_same_verdicts_and_progress_as_one(one_and_two):
    (serial, serial_lines), (parallel, parallel_lines) = one_and_two
    assert [[(c.id, c.verdict) for c in card.criteria] for card in serial.cards] == [
        [(c.id, c.verdict) for c in card.criteria] for card in parallel.cards
    ]
    assert serial_lines == parallel_lines
    assert [line.split()[0] for line in parallel_lines] == ["[1/3]", "[2/3]", "[3/3]"]


@pytest.mark.asr
def test_a_channel_transcribed_in_pieces_keeps_every_line_in_place():
    """The agent channel of a clip said four times over (74 s), cut into pieces of at most 60 s."""
    options = AsrOptions(piece_s=40.0)
    agent = load_audio(clip_path("two_speakers")).channels[0]
    length_s = len(agent) / SAMPLE_RATE
    samples = np.concatenate([agent] * 4)
    assert len(piece_bounds(samples, options.piece_s)) >= 2
    words = transcribe_channel(load_model(options), samples, options)
    said = " ".join(line["text"] for line in clip_lines("two_speakers") if line["channel"] == 0)
    for copy in range(4):
        heard = [w for w in words if copy * length_s <= (w.start + w.end) / 2 < (copy + 1) * length_s]
        assert similarity(" ".join(w.text for w in heard), said) >= 0.8, (copy, heard)
    assert all(a.start <= b.start for a, b in zip(words, words[1:]))


# --- contained stages: a worker process per concurrent call, a crash costs one call ----------


def _pid_after(seconds: float) -> int:
    import os

    time.sleep(seconds)
    return os.getpid()


def test_a_contained_stage_runs_in_another_process_and_survives_a_native_crash(monkeypatch):
    import os

    from qa_pipeline.concurrency import TEST_ABORT_ENV, ContainedStage, StageCrashed

    monkeypatch.setenv(TEST_ABORT_ENV, "probe:bad")
    stage_ = ContainedStage("probe")
    try:
        first = stage_.run(_pid_after, 0.0, label="calls/good.wav")
        assert first != os.getpid()
        with pytest.raises(StageCrashed, match=r"probe crashed \(its worker process died: SIGABRT\)"):
            stage_.run(_pid_after, 0.0, label="calls/bad.wav")
        again = stage_.run(_pid_after, 0.0, label="calls/good.wav")
        assert again not in (first, os.getpid())  # the crashed process was replaced
        assert stage_.run(_pid_after, 0.0, label="calls/good.wav") == again  # and the new one is kept
    finally:
        stage_.close()


def test_concurrent_calls_of_a_contained_stage_never_share_a_process():
    from qa_pipeline.concurrency import ContainedStage

    stage_ = ContainedStage("probe")
    try:
        pids = list(ordered_map(lambda _: stage_.run(_pid_after, 1.0), range(4), workers=2))
        assert len(set(pids)) == 2  # two at a time: two processes, each reused
    finally:
        stage_.close()


def test_a_contained_stage_with_one_process_serves_concurrent_calls_in_turn():
    from qa_pipeline.concurrency import ContainedStage

    stage_ = ContainedStage("probe", processes=1)
    try:
        pids = list(ordered_map(lambda _: stage_.run(_pid_after, 0.2), range(4), workers=2))
        assert len(set(pids)) == 1
    finally:
        stage_.close()
