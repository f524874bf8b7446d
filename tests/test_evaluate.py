import json

import pytest
from click.testing import CliRunner

from qa_pipeline.cli import main
from qa_pipeline.contract import transcript_to_dict
from qa_pipeline.evaluate import (
    agreement,
    cohen_kappa,
    confusion_matrix,
    evaluate,
    evaluation_to_dict,
    format_disagreements,
    format_side_by_side,
    format_table,
    interruption_stats,
    parse_manifest,
    precision,
    recall,
)
from qa_pipeline.identity import content_hash
from qa_pipeline.records import (
    AGENT,
    CUSTOMER,
    CallMetrics,
    CriterionResult,
    Evidence,
    Scorecard,
    Transcript,
    Utterance,
)
from qa_pipeline.speech.asr import AsrOptions
from qa_pipeline.transcript_cache import cache_path as transcript_cache_path

P, F, N = "pass", "fail", "not_applicable"


def pairs(expected: list[str], predicted: list[str]) -> list[tuple[str, str]]:
    return list(zip(expected, predicted))


# Wikipedia's worked example: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no -> kappa 0.4.
WIKI = pairs([P] * 25 + [F] * 25, [P] * 20 + [F] * 5 + [P] * 10 + [F] * 15)
# Three labels: observed 0.7, chance 0.35 -> kappa 7/13.
THREE = pairs([P, P, P, P, F, F, F, N, N, N], [P, P, P, F, F, F, P, N, N, P])


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (WIKI, 0.4),
        (THREE, 7 / 13),
        (pairs([P, F, P, F], [P, F, P, F]), 1.0),
        (pairs([P, F], [F, P]), -1.0),
        (pairs([P, P, F, F], [P, F, P, F]), 0.0),
    ],
)
def test_cohen_kappa_known_values(table, expected):
    assert cohen_kappa(table) == pytest.approx(expected)


@pytest.mark.parametrize("table", [[], pairs([P, P, P], [P, P, P])])
def test_cohen_kappa_undefined(table):
    assert cohen_kappa(table) is None


@pytest.mark.parametrize(("table", "expected"), [(WIKI, 0.7), (THREE, 0.7), ([], None)])
def test_agreement(table, expected):
    assert agreement(table) == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(
    ("table", "expected_precision", "expected_recall"),
    [
        (WIKI, 15 / 20, 15 / 25),  # predicted fail 20 (5 wrong), expected fail 25
        (THREE, 2 / 3, 2 / 3),
        (pairs([P, P], [P, P]), None, None),
        (pairs([F, F], [P, P]), None, 0.0),
    ],
)
def test_precision_and_recall_for_fail(table, expected_precision, expected_recall):
    assert precision(table) == (None if expected_precision is None else pytest.approx(expected_precision))
    assert recall(table) == (None if expected_recall is None else pytest.approx(expected_recall))


def test_confusion_matrix_rows_are_expected_columns_predicted():
    assert confusion_matrix(THREE) == {
        P: {P: 3, F: 1, N: 0},
        F: {P: 1, F: 2, N: 0},
        N: {P: 1, F: 0, N: 2},
    }


def test_interruption_stats():
    stats = interruption_stats([("C01", 0, 0), ("C02", 2, 1), ("C03", 1, 1), ("C04", 0, 2)])
    assert (stats.calls, stats.exact_agreement, stats.mean_abs_error) == (4, 0.5, 0.75)
    assert stats.mismatches == (("C02", 2, 1), ("C04", 0, 2))


# ---------------------------------------------------------------- evaluate() over cards


def card(call_id: str, verdicts: dict[str, str], interruptions: int = 0, outcome: str | None = None) -> Scorecard:
    criteria = tuple(
        CriterionResult(cid, v, 1.0, 0.9, (Evidence(AGENT, 1.0, 2.0, f"{cid} words"),), f"{cid} detail")
        for cid, v in verdicts.items()
    )
    return Scorecard(call_id, f"{call_id}.flac", None, 60.0, 2, "etiquette", "1", None, criteria,
                     CallMetrics(interruptions=interruptions), Transcript((), 60.0, 2), outcome=outcome)


MANIFEST = {
    "C01": {"expected": {"said_goodbye": P, "name_use": F}, "interruptions": 0, "outcome": "order_placed"},
    "C02": {"expected": {"said_goodbye": F, "name_use": P}, "interruptions": 2, "outcome": "callback_agreed"},
    "C03": {"expected": {"said_goodbye": P, "name_use": N}},
}
CARDS = {
    "C01": card("C01", {"said_goodbye": P, "name_use": F}, outcome="order_placed"),
    "C02": card("C02", {"said_goodbye": F, "name_use": F}, interruptions=1),
    "C03": card("C03", {"said_goodbye": P}),
}


def test_evaluate_per_criterion_and_overall():
    ev = evaluate(MANIFEST, CARDS)
    assert ev.criteria["said_goodbye"].agreement == 1.0
    assert ev.criteria["name_use"].agreement == pytest.approx(2 / 3)
    assert ev.criteria["name_use"].precision_fail == 0.5
    assert (ev.decisions, ev.agreement) == (6, pytest.approx(5 / 6))
    assert ev.kappa == pytest.approx(cohen_kappa([(P, P), (F, F), (F, F), (P, F), (P, P), (N, N)]))


def test_evaluate_lists_each_disagreement_with_detail_and_evidence():
    (d,) = evaluate(MANIFEST, CARDS).disagreements
    assert (d.call_id, d.criterion, d.expected, d.got, d.detail) == ("C02", "name_use", P, F, "name_use detail")
    assert d.evidence == (Evidence(AGENT, 1.0, 2.0, "name_use words"),)


def test_evaluate_counts_a_missing_criterion_as_not_applicable():
    ev = evaluate({"C03": {"expected": {"name_use": P}}}, CARDS)
    assert ev.disagreements[0].got == N
    assert ev.disagreements[0].detail == "criterion not in scorecard"


def test_evaluate_skips_calls_without_a_card():
    assert evaluate(MANIFEST, {"C01": CARDS["C01"]}).decisions == 2


def test_evaluate_interruptions_only_where_labelled():
    stats = evaluate(MANIFEST, CARDS).interruptions
    assert (stats.calls, stats.mismatches) == (2, (("C02", 2, 1),))


def test_evaluate_outcomes_where_labelled():
    stats = evaluate(MANIFEST, CARDS).outcomes
    # C02's outcome is not shown (none): agreement is over the one call that shows one
    assert (stats.calls, stats.shown, stats.agreement, stats.mismatches) == (2, 1, 1.0, ())


def test_json_shape():
    data = evaluation_to_dict(evaluate(MANIFEST, CARDS))
    assert list(data) == ["criteria", "overall", "interruptions", "outcomes", "disagreements"]
    assert data["criteria"]["name_use"] == {
        "decisions": 3, "agreement": 0.667, "precision_fail": 0.5, "recall_fail": 1.0,
        "confusion": {P: {P: 0, F: 1, N: 0}, F: {P: 0, F: 1, N: 0}, N: {P: 0, F: 0, N: 1}},
    }
    assert data["overall"] == {"agreement": 0.833, "kappa": pytest.approx(0.739, abs=1e-3), "decisions": 6}
    assert data["disagreements"][0]["evidence"] == [{"speaker": "agent", "start": 1.0, "end": 2.0,
                                                     "text": "name_use words"}]


def test_table_has_a_row_per_criterion_and_overall():
    lines = format_table(evaluate(MANIFEST, CARDS)).splitlines()
    assert [line.split()[0] for line in lines[1:4]] == ["said_goodbye", "name_use", "overall"]
    assert lines[2].split()[:5] == ["name_use", "3", "0.67", "0.50", "1.00"]
    assert lines[-2:] == [
        "interruptions: 2 calls, exact count agreement 0.50, mean abs error 0.50; C02 expected 2 got 1",
        "outcomes: 2 calls, shown on 1 (the rest below the confidence to show), agreement where shown 1.00",
    ]


def test_disagreement_listing():
    text = format_disagreements(evaluate(MANIFEST, CARDS))
    assert text.splitlines() == [
        "disagreements (1):",
        "  C02 name_use: expected pass, got fail - name_use detail",
        "      [agent 1.0-2.0 s] name_use words",
    ]


def test_side_by_side_puts_variants_on_one_row():
    both = {"classifiers on": evaluate(MANIFEST, CARDS), "classifiers off": evaluate(MANIFEST, {})}
    lines = format_side_by_side(both).splitlines()
    assert "classifiers on" in lines[0] and "classifiers off" in lines[0]
    name_use = next(line for line in lines if line.startswith("name_use"))
    assert name_use.split("|")[0].split()[1:3] == ["3", "0.67"]


# ---------------------------------------------------------------- the CLI over a cached labelled folder

CACHED_CALL = (
    Utterance(AGENT, 0.5, 4.0, "Good morning, Sunny Dental, my name is Daniel, how can I help you?"),
    Utterance(CUSTOMER, 4.5, 7.0, "Hi, I'd like to book a cleaning please."),
    Utterance(AGENT, 7.5, 9.0, "Of course. Which day works best for you?"),
    Utterance(CUSTOMER, 9.5, 11.0, "Tuesday morning."),
    Utterance(AGENT, 11.5, 14.0, "Tuesday at nine is free. Thank you for calling, goodbye."),
)


@pytest.fixture
def labelled_folder(tmp_path):
    """A labelled folder whose one call's transcript is already in the cache, so no ASR runs."""
    folder, cache = tmp_path / "corpus", tmp_path / "cache"
    folder.mkdir()
    audio = folder / "D01.flac"
    audio.write_bytes(b"bytes whose transcript is cached")
    manifest = {"schema": "qa-pipeline.manifest/1", "calls": [{
        "call_id": "D01", "file": "D01.flac", "interruptions": 0,
        "expected": {"self_introduction": "pass", "said_goodbye": "pass", "asked_questions": "pass"},
    }]}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    cached = transcript_cache_path(cache, content_hash(audio), AsrOptions())
    cached.parent.mkdir()
    cached.write_text(json.dumps(transcript_to_dict(Transcript(CACHED_CALL, 15.0, 2, asr_model="tiny.en"))))
    return folder, cache


def run_evaluate(folder, cache, *extra):
    return CliRunner().invoke(main, ["evaluate", str(folder), "--transcripts-cache", str(cache), *extra])


def test_cli_evaluate_json_uses_the_cached_transcript(labelled_folder):
    result = run_evaluate(*labelled_folder, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["criteria"]["self_introduction"]["agreement"] == 1.0
    assert data["criteria"]["said_goodbye"]["confusion"]["pass"]["pass"] == 1
    assert data["overall"]["decisions"] == 3
    assert data["interruptions"]["exact_agreement"] == 1.0
    assert data["not_scored"] == []
    assert "[1/1] D01.flac  score " in result.stderr


def test_cli_evaluate_lists_disagreements_with_evidence(labelled_folder):
    # One need question ("Which day works best") is below the rubric's two, so asked_questions fails.
    result = run_evaluate(*labelled_folder)
    assert result.exit_code == 0, result.output
    assert "D01 asked_questions: expected pass, got fail" in result.stdout
    assert "Which day works best for you?" in result.stdout


def test_cli_evaluate_compare_prints_both_variants(labelled_folder):
    result = run_evaluate(*labelled_folder, "--classifiers", "compare", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"on", "off", "not_scored"}
    assert data["on"]["overall"]["decisions"] == data["off"]["overall"]["decisions"] == 3
    assert "[1/1] D01.flac  score on " in result.stderr and "  off " in result.stderr


def test_cli_evaluate_without_manifest_is_a_one_line_error(tmp_path):
    result = CliRunner().invoke(main, ["evaluate", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: {tmp_path / 'manifest.json'}: no such file; a labelled folder needs a manifest.json"


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ({"calls": []}, "expected schema 'qa-pipeline.manifest/1', found None"),
        ({"schema": "qa-pipeline.manifest/1", "calls": []}, "'calls' must be a non-empty list"),
        ({"schema": "qa-pipeline.manifest/1", "calls": [{"call_id": "C1"}]}, "calls[0]: needs 'call_id' and 'file'"),
        ({"schema": "qa-pipeline.manifest/1", "calls": [{"call_id": "C1", "file": "a", "expected": {"x": "ok"}}]},
         "calls[0] (C1): verdicts must be one of pass, fail, not_applicable, got {'x': 'ok'}"),
    ],
)
def test_parse_manifest_rejects_bad_shapes(manifest, message):
    with pytest.raises(ValueError) as caught:
        parse_manifest(manifest, "m.json")
    assert str(caught.value) == f"m.json: {message}"


# --- evaluate --workers: calls scored at once give what one at a time gives ---------------

NO_GOODBYE = CACHED_CALL[:4]
NO_INTRODUCTION = (Utterance(AGENT, 0.5, 4.0, "Hello."), *CACHED_CALL[1:])


@pytest.fixture
def three_labelled_calls(tmp_path):
    """Three cached calls with different verdicts, and a fourth whose bytes are not audio."""
    folder, cache = tmp_path / "corpus", tmp_path / "cache"
    folder.mkdir()
    cache.mkdir()
    labels = {"self_introduction": "pass", "said_goodbye": "pass", "asked_questions": "fail"}
    calls = []
    for name, utterances in (("D01", CACHED_CALL), ("D02", NO_GOODBYE), ("D03", NO_INTRODUCTION)):
        audio = folder / f"{name}.flac"
        audio.write_bytes(f"bytes of {name} whose transcript is cached".encode())
        cached = transcript_cache_path(cache, content_hash(audio), AsrOptions())
        cached.write_text(json.dumps(transcript_to_dict(Transcript(utterances, 15.0, 2, asr_model="tiny.en"))))
        calls.append({"call_id": name, "file": audio.name, "interruptions": 0, "expected": labels})
    (folder / "D04.flac").write_bytes(b"not audio and not cached")
    calls.insert(1, {"call_id": "D04", "file": "D04.flac", "expected": labels})
    (folder / "manifest.json").write_text(json.dumps({"schema": "qa-pipeline.manifest/1", "calls": calls}))
    return folder, cache


def test_cli_evaluate_with_two_workers_gives_what_one_worker_gives(three_labelled_calls):
    one = run_evaluate(*three_labelled_calls, "--json", "--workers", "1")
    two = run_evaluate(*three_labelled_calls, "--json", "--workers", "2")
    assert one.exit_code == two.exit_code == 0, (one.output, two.output)
    serial, parallel = json.loads(one.stdout), json.loads(two.stdout)
    assert parallel == serial
    assert [d["call_id"] for d in serial["not_scored"]] == ["D04"]
    # The three cached calls differ, so a result given to the wrong call would show here.
    assert {(d["call_id"], d["criterion"]) for d in serial["disagreements"]} >= {("D02", "said_goodbye"),
                                                                                  ("D03", "self_introduction")}
    assert one.stderr == two.stderr
    assert [line.split()[0] for line in two.stderr.splitlines() if line.startswith("[")] == [
        "[1/4]", "[2/4]", "[3/4]", "[4/4]"]
