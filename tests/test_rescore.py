"""`qa-pipeline rescore` on real Whisper transcripts of sample calls, against scoring from scratch."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_pipeline.cli import main
from qa_pipeline.contract import transcript_from_dict
from qa_pipeline.errors import ConfigError
from qa_pipeline.identity import content_hash
from qa_pipeline.pipeline import score_transcript_with_models as score_transcript
from qa_pipeline.records import CallMetadata
from qa_pipeline.rubric import load_rubric, parse_rubric
from qa_pipeline.store import open_store
from qa_pipeline.store.views import CallFilter

CALLS = ("C01", "C03", "C05", "C10")  # the sample calls with stored Whisper tiny.en transcripts
DROPPED = "        - this is {Name}\n"  # one self-introduction phrase of etiquette.yaml


def from_scratch(root: Path, call_id: str, rubric):
    """The call scored as `score` would: the whole transcript (word timings too) and its metadata."""
    path = root / "tests" / "data" / "scoring" / f"{call_id}.whisper-tiny.json"
    data = json.loads(path.read_text())
    row = next(r for r in csv.DictReader((root / "sample_audio" / "metadata.csv").open()) if r["call_id"] == call_id)
    metadata = CallMetadata(call_id, row["agent_id"], row["customer_name"] or None, row["call_time"])
    return score_transcript(transcript_from_dict(data), rubric, metadata, data["recording"]), path, row["call_time"]


def changed_rubric(folder: Path, version: str) -> Path:
    text = (Path(load_rubric("etiquette").source)).read_text()
    assert DROPPED in text
    path = folder / f"etiquette-{version}.yaml"
    path.write_text(text.replace(DROPPED, "").replace('version: "2"', f'version: "{version}"'))
    return path


@pytest.fixture
def stored(tmp_path, root):
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    store = open_store(url)
    for call_id in CALLS:
        card, path, when = from_scratch(root, call_id, load_rubric("etiquette"))
        store.save_scorecard(card, content_hash(path), str(path), call_time=when)
    store.close()
    return url


def verdicts(cards) -> dict:
    return {(card.call_id, c.id): c.verdict for card in cards for c in card.criteria}


def expected_flips(root: Path, new_rubric) -> list[tuple[str, str, str, str]]:
    old = verdicts(from_scratch(root, c, load_rubric("etiquette"))[0] for c in CALLS)
    new = verdicts(from_scratch(root, c, new_rubric)[0] for c in CALLS)
    return sorted((criterion, old[(call, criterion)], new[(call, criterion)], call)
                  for (call, criterion) in new if old[(call, criterion)] != new[(call, criterion)])


def test_rescore_prints_the_flips_scoring_from_scratch_gives_and_replaces_nothing(tmp_path, root, stored):
    path = changed_rubric(tmp_path, "3")
    expected = expected_flips(root, load_rubric(path))
    assert expected == [("self_introduction", "pass", "fail", "C05")]  # "This is Sarah." was the only cue
    done = CliRunner().invoke(main, ["rescore", "--rubric", str(path), "--db", stored])
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    assert lines[0].startswith("rescore with etiquette/3 (sha256 ") and "over 4 stored calls" in lines[0]
    assert lines[1:3] == ["  self_introduction: pass -> fail: 1 call (C05)", "diff stored as rescore run 1"]
    store = open_store(stored)
    run = store.rescore_runs()[0]
    assert [(f["criterion"], f["before"], f["after"], f["call"]) for f in run["flips"]] == expected
    assert run["applied_at"] is None and run["calls"] == 4
    assert {r.rubric for r in store.list_calls(CallFilter()).rows} == {"etiquette/2"}
    store.close()


def test_apply_saves_cards_equal_to_scoring_from_scratch(tmp_path, root, stored):
    path = changed_rubric(tmp_path, "3")
    done = CliRunner().invoke(main, ["rescore", "--rubric", str(path), "--db", stored, "--apply"])
    assert done.exit_code == 0, done.output
    assert done.output.splitlines()[-1] == "applied: 4 cards saved as etiquette/3; 0 supervisor override(s) carried over"
    store = open_store(stored)
    rows = store.list_calls(CallFilter(rubric="etiquette")).rows
    assert sorted(r.rubric for r in rows) == ["etiquette/2"] * 4 + ["etiquette/3"] * 4
    new_cards = [store.call_detail(r.scorecard_id).card for r in rows if r.rubric == "etiquette/3"]
    assert verdicts(new_cards) == verdicts(from_scratch(root, c, load_rubric(path))[0] for c in CALLS)
    assert {c.rubric_sha256 for c in new_cards} == {load_rubric(path).sha256}
    assert store.rescore_runs()[0]["applied_at"] is not None
    store.close()


def test_apply_carries_overrides_whose_verdict_stayed_and_flags_those_whose_verdict_changed(tmp_path, stored):
    store = open_store(stored)
    sam = store.add_user("sam", "supervisor", "correct horse battery staple")
    old = {r.call_label: r.scorecard_id for r in store.list_calls(CallFilter()).rows}
    # C05's self_introduction flips pass -> fail under the changed rubric; C01's said_goodbye does not change.
    store.add_override(old["C05"], "self_introduction", "fail", "she never gave her name", sam.id)
    store.add_override(old["C01"], "said_goodbye", "not_applicable", "the line dropped", sam.id)
    store.close()
    done = CliRunner().invoke(main, ["rescore", "--rubric", str(changed_rubric(tmp_path, "3")), "--db", stored,
                                     "--apply"])
    assert done.exit_code == 0, done.output
    assert done.output.splitlines()[-2:] == [
        "applied: 4 cards saved as etiquette/3; 1 supervisor override(s) carried over",
        "  flagged for review: C05 self_introduction (its verdict changed under a supervisor override)"]
    store = open_store(stored)
    new = {r.call_label: r.scorecard_id for r in store.list_calls(CallFilter(rubric="etiquette")).rows
           if r.rubric == "etiquette/3"}
    c01, c05 = store.call_detail(new["C01"]), store.call_detail(new["C05"])
    carried = c01.latest_override("said_goodbye")
    assert carried is not None and carried.verdict == "not_applicable" and carried.user_name == "sam"
    assert carried.comment.startswith("the line dropped (carried over from etiquette/2")
    assert c01.effective_verdict("said_goodbye") == "not_applicable" and c01.needs_review == ()
    assert c05.latest_override("self_introduction") is None and c05.needs_review == ("self_introduction",)
    # The old cards keep their overrides.
    assert store.call_detail(old["C05"]).latest_override("self_introduction").verdict == "fail"
    store.close()


def test_since_limits_the_calls(tmp_path, stored):
    done = CliRunner().invoke(main, ["rescore", "--rubric", str(changed_rubric(tmp_path, "3")), "--db", stored,
                                        "--since", "2026-11-04"])
    assert done.exit_code == 0, done.output
    assert "over 2 stored calls" in done.output  # C05 (Nov 4) and C10 (Nov 6)


def test_a_changed_rubric_under_the_old_version_is_never_stored_over_the_old_cards(tmp_path, root, stored):
    path = changed_rubric(tmp_path, "2")
    done = CliRunner().invoke(main, ["rescore", "--rubric", str(path), "--db", stored, "--apply"])
    assert done.exit_code != 0 and "has changed" in done.output and "new version" in done.output
    store = open_store(stored)
    cards = [store.call_detail(r.scorecard_id).card for r in store.list_calls(CallFilter()).rows]
    assert verdicts(cards) == verdicts(from_scratch(root, c, load_rubric("etiquette"))[0] for c in CALLS)
    # Saving a card of the changed rubric directly is refused too.
    card, json_path, when = from_scratch(root, "C05", load_rubric(path))
    with pytest.raises(ConfigError, match="has changed"):
        store.save_scorecard(card, content_hash(json_path), str(json_path), call_time=when)
    store.close()


def test_the_rubric_hash_follows_content_not_layout():
    import yaml

    data = yaml.safe_load(Path(load_rubric("etiquette").source).read_text())
    same = parse_rubric(dict(reversed(list(data.items()))))
    assert same.sha256 == load_rubric("etiquette").sha256
    data["criteria"]["said_goodbye"]["weight"] = 2.0
    assert parse_rubric(data).sha256 != same.sha256


def test_a_supervisor_reads_the_diff_in_the_app_and_applies_it(tmp_path, root, stored):
    from qa_pipeline.web.app import create_app

    from _web_helpers import PASSWORD, client_for, csrf_of

    path = changed_rubric(tmp_path, "3")
    assert CliRunner().invoke(main, ["rescore", "--rubric", str(path), "--db", stored]).exit_code == 0
    store = open_store(stored)
    store.add_user("sam", "supervisor", PASSWORD)
    store.add_user("tina", "trainer", PASSWORD)
    store.close()
    app = create_app(stored)
    try:
        tina = client_for(app, "tina")
        page = tina.get("/rescores").text
        assert 'data-criterion="self_introduction"' in page and ">C05</a>" in page and "/rescores/1/apply" not in page
        assert tina.post("/rescores/1/apply", data={"csrf": csrf_of(tina, "/rescores")}).status_code == 403
        sam = client_for(app, "sam")
        done = sam.post("/rescores/1/apply", data={"csrf": csrf_of(sam, "/rescores")})
        assert done.status_code == 303
        assert 'id="applied-1"' in sam.get("/rescores").text
        rows = app.state.store.list_calls(CallFilter(rubric="etiquette")).rows
        assert sorted(r.rubric for r in rows).count("etiquette/3") == 4
        # The file changed after a new diff: applying that diff is refused.
        assert CliRunner().invoke(main, ["rescore", "--rubric", str(path), "--db", stored]).exit_code == 0
        path.write_text(path.read_text().replace("weight: 1.0", "weight: 2.0", 1))
        refused = sam.post("/rescores/2/apply", data={"csrf": csrf_of(sam, "/rescores")})
        assert refused.status_code == 409 and "changed since the diff" in refused.text
    finally:
        app.state.store.close()
