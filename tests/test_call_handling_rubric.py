"""The call_handling rubric end to end without audio: loading, serious errors in the
scorecard JSON, titles in the HTML and summary.csv, the store and the review app."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from functools import lru_cache

import pytest
from fastapi.testclient import TestClient

from qa_pipeline.contract import scorecard_from_dict, scorecard_to_dict
from qa_pipeline.errors import ConfigError
from qa_pipeline.records import CallMetadata
from qa_pipeline.report import scorecard_html, summary_csv
from qa_pipeline.rubric import load_rubric
from qa_pipeline.scoring import score_transcript
from qa_pipeline.store import open_store
from qa_pipeline.store.views import CallFilter

from _scoring_helpers import dialogue

NEW = ("speaking_pace", "no_forbidden_phrases", "hold_etiquette", "next_step_agreed", "contact_details_asked",
       "thanked_for_call", "offered_further_help", "acknowledged_caller")
SERIOUS = {"self_introduction", "speaking_pace", "no_interrupting", "asked_questions", "acknowledged_caller",
           "said_goodbye"}

# A blunt agent: no name, no questions, no feedback, no goodbye.
BAD = dialogue(
    "A: Hello?",
    "C: hi my internet keeps dropping every evening around eight and comes back after ten or fifteen minutes",
    "A: Restart the router.",
    "C: i tried that twice already and it did not help at all so i think something is wrong with the line",
    "A: Then it is the line. We'll be in touch.",
)
GOOD = dialogue(
    "A: Good morning, City Net, my name is Anna, how can I help you?",
    "C: hi my internet keeps dropping every evening around eight and comes back after ten or fifteen minutes",
    "A: I see. Does it drop on every device? And have you restarted the router?",
    "C: yes all of them and i restarted it twice already but it did not help at all unfortunately",
    "A: Thank you. What is the best number to reach you? A technician will call you back tonight at eight.",
    "C: this number is fine",
    "A: Is there anything else I can help with? Thank you for calling, goodbye.",
)


@lru_cache(maxsize=1)
def rubrics():
    return load_rubric("etiquette"), load_rubric("call_handling")


def card_of(transcript, call_id="H1", rubric=None):
    return score_transcript(transcript, rubric or rubrics()[1], CallMetadata(call_id, "agent-anna"), f"{call_id}.flac")


def test_call_handling_keeps_the_seven_unchanged_and_adds_eight():
    etiquette, handling = rubrics()
    assert handling.label == "call_handling/2"
    assert [c.id for c in handling.criteria] == [c.id for c in etiquette.criteria] + list(NEW)
    for base in etiquette.criteria:
        assert dataclasses.replace(handling.criterion(base.id), serious_error="") == base
    assert all(handling.criterion(c).title for c in NEW)


def test_serious_errors_are_marked_in_the_rubric_only():
    etiquette, handling = rubrics()
    assert {c.id for c in handling.criteria if c.serious_error} == SERIOUS
    assert not any(c.serious_error for c in etiquette.criteria)


def test_etiquette_stays_the_default():
    assert load_rubric().id == "etiquette"


@pytest.mark.parametrize(("text", "message"), [
    ("id: x\nversion: '1'\nextends: x.yaml\ncriteria: {}\n", "extends itself in a cycle"),
    ("id: x\nversion: '1'\nextends: etiquette\nserious_errors: {nope: bad}\ncriteria: {}\n",
     "serious_errors.nope: not a criterion of this rubric"),
    ("id: x\nversion: '1'\nextends: etiquette\nserious_errors: {said_goodbye: ''}\ncriteria: {}\n",
     "serious_errors.said_goodbye: expected the error in words"),
    ("id: x\nversion: '1'\nextends: no_such_rubric\ncriteria: {}\n", "no_such_rubric: no rubric file or bundled rubric"),
])
def test_bad_extends_or_serious_errors_say_what_is_wrong(tmp_path, text, message):
    path = tmp_path / "x.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_rubric(path)


def test_scorecard_lists_the_serious_errors_committed():
    data = scorecard_to_dict(card_of(BAD))
    committed = {e["criterion"] for e in data["serious_errors"]}
    assert {"self_introduction", "asked_questions", "acknowledged_caller", "said_goodbye"} <= committed
    assert committed <= SERIOUS
    by_id = {c["id"]: c for c in data["criteria"]}
    assert by_id["acknowledged_caller"]["serious_error"] == "giving no feedback"
    assert by_id["name_use"]["serious_error"] is None
    assert by_id["hold_etiquette"]["title"] == "Agent asked before a hold and thanked after it"
    assert scorecard_from_dict(data).serious_errors == card_of(BAD).serious_errors


def test_a_good_call_commits_none_and_etiquette_scorecards_list_none():
    assert scorecard_to_dict(card_of(GOOD))["serious_errors"] == []
    assert scorecard_to_dict(card_of(BAD, rubric=rubrics()[0]))["serious_errors"] == []


def test_summary_csv_and_html_name_criteria_by_their_titles():
    cards = [card_of(BAD, "H1"), card_of(GOOD, "H2")]
    header = next(csv.reader(io.StringIO(summary_csv(cards))))
    assert "Agent gave feedback while the caller explained" in header and "acknowledged_caller" not in header
    page = scorecard_html(cards[0])
    assert "Agent offered further help" in page
    assert page.index("Serious errors") < page.index("Verdicts")
    assert "Giving no feedback" in page


@pytest.fixture
def stored(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    ids = {cid: store.save_scorecard(card_of(t, cid), cid * 8, f"{cid}.flac") for cid, t in (("B1", BAD), ("G1", GOOD))}
    store.add_user("sam", "supervisor", "correct horse battery staple")
    yield store, ids
    store.close()


def test_store_keeps_titles_and_filters_calls_by_serious_error(stored):
    store, ids = stored
    assert store.criterion_titles()["speaking_pace"] == "Agent spoke at a calm pace"
    kinds = {k.criterion_id: k.error for k in store.serious_error_kinds()}
    assert kinds["acknowledged_caller"] == "giving no feedback"
    assert [r.call_label for r in store.list_calls(CallFilter(serious="any")).rows] == ["B1"]
    assert [r.call_label for r in store.list_calls(CallFilter(serious="acknowledged_caller")).rows] == ["B1"]
    assert store.call_detail(ids["B1"]).card.serious_errors == card_of(BAD, "B1").serious_errors


def test_review_app_shows_serious_errors_first_and_filters_by_them(stored, tmp_path):
    from qa_pipeline.web.app import create_app

    store, ids = stored
    app = create_app(store_url=str(store.engine.url), audio_root=tmp_path)
    try:
        client = TestClient(app, follow_redirects=False)
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
        client.post("/login", data={"name": "sam", "password": "correct horse battery staple", "csrf": token,
                                    "next": "/calls"})
        listing = client.get("/calls?serious=any").text
        assert re.findall(r'<tr data-call="([^"]+)"', listing) == ["B1"]
        assert '<option value="acknowledged_caller"' in listing and "Giving no feedback" in listing
        page = client.get(f"/calls/{ids['B1']}").text
        assert page.index('id="serious-errors"') < page.index("<h2>Verdicts</h2>")
        assert "Agent gave feedback while the caller explained" in page
        agent = client.get("/agents/agent-anna").text
        assert "Agent spoke at a calm pace" in agent
        library = client.get("/library?criterion=acknowledged_caller&verdict=fail").text
        assert "B1" in library and "Agent gave feedback while the caller explained" in library
    finally:
        app.state.store.close()


def test_score_command_uses_the_call_handling_rubric(tmp_path):
    """`qa-pipeline score --rubric call_handling` on a real recording whose transcript is in the cache."""
    import numpy as np
    import soundfile as sf
    from click.testing import CliRunner

    from qa_pipeline.cli import main
    from qa_pipeline.cli.score import asr_options
    from qa_pipeline.contract import transcript_to_dict
    from qa_pipeline.transcript_cache import cache_path as transcript_cache_path
    from qa_pipeline.transcript_cache import recording_hash

    recording = tmp_path / "in" / "H1.wav"
    recording.parent.mkdir()
    noise = np.random.default_rng(15).normal(0, 0.01, (8000 * 25, 2)).astype(np.float32)
    sf.write(recording, noise, 8000, subtype="PCM_16")
    cache = tmp_path / "cache"
    cached = transcript_cache_path(cache, recording_hash(recording), asr_options(None, 0))
    cached.parent.mkdir()
    cached.write_text(json.dumps(transcript_to_dict(BAD, str(recording))))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["score", str(recording.parent), "--out", str(out), "--no-db",
                                       "--rubric", "call_handling", "--transcripts-cache", str(cache),
                                       "--agent-channel", "0"])
    assert result.exit_code == 0, result.output
    card = json.loads((out / "H1.json").read_text())
    from qa_pipeline.rubric import load_rubric

    assert card["rubric"] == {"id": "call_handling", "version": "2", "sha256": load_rubric("call_handling").sha256}
    assert [c["id"] for c in card["criteria"]][-8:] == list(NEW)
    assert {"asked_questions", "acknowledged_caller"} <= {e["criterion"] for e in card["serious_errors"]}
    header = (out / "summary.csv").read_text().splitlines()[0]
    assert "Agent spoke at a calm pace" in header
