"""Agreement of the whole pipeline with the labelled sample corpus (slow: transcribes every call)."""

import json

import pytest
from click.testing import CliRunner

from qa_pipeline.cli import main

pytestmark = [pytest.mark.slow, pytest.mark.asr]

# Floors per model, each from a measured run over sample_audio (48 calls, 334 verdicts, CPU,
# rubric etiquette/1, rules only as the rubric says). Each floor leaves room for about one
# flipped verdict, because Whisper's int8 CPU decoding can change a word between machines;
# falling further is a regression.
#
# tiny.en: agreement 0.973 (325/334), kappa 0.922, every criterion at least 0.938 (45/48). The
# four outbound calls (C47-C50) brought two misses Whisper makes on the espeak voices ("it's
# Sarah from" heard as "it's fair from"; "Is this still the best number" as "It's still ...").
# base, the shipped default (`qa-pipeline evaluate sample_audio --model base`): agreement 0.988
# (330/334), kappa 0.965, every criterion at least 0.978 (47/48); the four misses are C10
# said_goodbye (read as cut off), C11 no_interrupting, C17 self_introduction ("Peak Fitness,
# Olivia here" heard as "Eat fitness. I'll live you here.") and C40 asked_questions.
FLOORS = {
    "tiny.en": {"overall": 0.97, "kappa": 0.91, "criterion": 0.91},
    "base": {"overall": 0.98, "kappa": 0.95, "criterion": 0.95},
}


@pytest.fixture(scope="module", params=sorted(FLOORS))
def model(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def evaluation(model, sample_audio_dir, tmp_path_factory):
    if not (sample_audio_dir / "manifest.json").is_file():
        pytest.fail(f"{sample_audio_dir}/manifest.json is missing: the labelled sample corpus is part of the project")
    cache = tmp_path_factory.mktemp("transcripts")
    result = CliRunner().invoke(main, ["evaluate", str(sample_audio_dir), "--model", model, "--json",
                                       "--transcripts-cache", str(cache)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_every_labelled_call_is_scored(evaluation):
    assert evaluation["not_scored"] == []


def test_overall_agreement_meets_the_floor(evaluation, model):
    assert evaluation["overall"]["agreement"] >= FLOORS[model]["overall"]


def test_kappa_meets_the_floor(evaluation, model):
    assert evaluation["overall"]["kappa"] >= FLOORS[model]["kappa"]


def test_every_criterion_meets_the_floor(evaluation, model):
    assert len(evaluation["criteria"]) == 7
    floor = FLOORS[model]["criterion"]
    below = {cid: c["agreement"] for cid, c in evaluation["criteria"].items() if c["agreement"] < floor}
    assert below == {}
