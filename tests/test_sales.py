"""The sales rubric on hand-written outbound calls, with real spaCy, the real rubric and the
shipped status model: one call per status of the taxonomy, dates resolved across month and
year ends, the opening and follow-up criteria, the card's sales block, and the status's
agreement on industries the model never saw."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import pytest

from qa_pipeline.contract import scorecard_from_dict, scorecard_to_dict
from qa_pipeline.records import FAIL, NOT_APPLICABLE, PASS, CallMetadata
from qa_pipeline.rubric import load_rubric
from qa_pipeline.sales import sales_outcome
from qa_pipeline.sales.config import GROUPS, sales_config
from qa_pipeline.sales.dates import resolve

from _scoring_helpers import dialogue, judge


@lru_cache(maxsize=1)
def sales_rubric():
    return load_rubric("sales")


OUTBOUND = CallMetadata("S1", call_time="2026-12-29T10:00:00", direction="outbound")


def outcome(*lines: str, metadata: CallMetadata = OUTBOUND):
    result = sales_outcome(dialogue(*lines), metadata, sales_rubric())
    assert result is not None
    return result


# One call per status, written for these tests (not the training or held-out calls).
STATUS_CALLS = {
    "no_need": ("C: Hello, Quill Bookbinders.",
                "A: Hi, this is Rosa from CloudFax. I'm calling about online faxing for your shop.",
                "C: We don't need anything like that, nobody has sent us a fax in twenty years."),
    "no_authority": ("C: Ward Pharmacy.",
                     "A: Hi, Rosa from MediStock, I'm calling about your stock ordering system.",
                     "C: Our head office picks every system, the branch can't decide that."),
    "has_comparable_service": ("C: Lennox Hotel, Ben speaking.",
                               "A: Hi Ben, Rosa from RoomKey, I'm calling about your booking software.",
                               "C: We just signed with another provider for four years and we're very happy with it."),
    "invalid_number": ("C: Hello?",
                       "A: Hi, is that Prior Garden Centre? It's Rosa from GreenTill.",
                       "C: No, you have the wrong number, this is a house."),
    "gatekeeper_refused": ("C: Castle Group, reception.",
                           "A: Hello, Rosa from LedgerLine. Could I speak to your finance director?",
                           "C: Sorry, we don't take sales calls and I can't put you through."),
    "refused_no_reason": ("C: Yes?",
                          "A: Hi, Rosa from SafeNet, I'm calling about your shop alarm.",
                          "C: Not interested. Bye."),
    "contact_absent": ("C: Harlow Builders.",
                       "A: Hi, Rosa from SiteCam, I'm calling for your site manager about camera security.",
                       "C: He is away this week, he'll be back on Monday.",
                       "A: Thanks, I'll call him on Monday."),
    "bad_timing": ("C: Frost Ice Creams.",
                   "A: Hi, Rosa from TillPro, I'm calling about card machines for your kiosks.",
                   "C: It's our busiest time of year, call me after the 20th of January.",
                   "A: I'll call you after the 20th then."),
    "replaceable_service": ("C: Apex Gym, Leah.",
                            "A: Hi Leah, Rosa from ClubDesk, I'm calling about your member software.",
                            "C: Our current system is too expensive and our contract ends in March.",
                            "A: I'll call you in two weeks with a comparison."),
    "comparing_vendors": ("C: Moor Vets.",
                          "A: Hi, Rosa from VetSoft, I'm calling about your practice software.",
                          "C: We're comparing three other vendors already, send a quote and we'll see.",
                          "A: I'll send it and call you next Tuesday."),
    "wants_materials": ("C: Dale Primary, office.",
                        "A: Hi, Rosa from ClassCloud, I'm calling about homework software.",
                        "C: Send me a brochure first, I'll show the head teacher.",
                        "A: I'll email it today and call you on Thursday."),
    "meeting_booked": ("C: Pier Cafe, Tom.",
                       "A: Hi Tom, Rosa from TillPro, I'm calling about your till. Could I visit on Friday at ten?",
                       "C: Friday at ten works for me.",
                       "A: You're booked for Friday at ten, see you then."),
}


def test_every_status_of_the_rubric_has_a_call_here():
    assert set(STATUS_CALLS) == set(sales_config(sales_rubric()).labels)


@pytest.mark.parametrize("status", sorted(STATUS_CALLS))
def test_each_status_is_found_with_its_group_and_evidence(status):
    result = outcome(*STATUS_CALLS[status])
    config = sales_config(sales_rubric())
    assert result.status == status, result
    assert result.status_group == config.group_of(status)
    assert result.call_again is GROUPS[result.status_group]
    assert result.status_confidence >= config.min_confidence
    assert result.status_evidence and all(e.text for e in result.status_evidence)


def test_no_status_cue_is_unknown_rather_than_a_guess():
    result = outcome("C: Hello?", "A: Hi, it's Rosa from TillPro.", "C: Hello, the line is bad.")
    assert (result.status, result.status_group, result.call_again) == ("unknown", "unknown", None)


def test_do_not_call_has_no_next_contact_and_call_again_carries_the_date_in_words_and_iso():
    assert outcome(*STATUS_CALLS["no_need"]).next_contact is None
    result = outcome(*STATUS_CALLS["comparing_vendors"])
    assert (result.next_contact.date, result.next_contact.words) == ("2027-01-05", "next Tuesday")
    assert result.next_action.what == "send materials, then call"
    assert (result.next_action.who, result.next_action.when) == ("agent", "2027-01-05")


@pytest.mark.parametrize("words, said_on, expected", [
    ("next Tuesday", "2026-12-29", "2027-01-05"),   # a Tuesday: the next week's, across the year end
    ("next Tuesday", "2026-05-18", "2026-05-26"),   # said on a Monday: next week's, not tomorrow
    ("after the 20th", "2026-12-29", "2027-01-21"),  # the 20th has passed: next month's, the day after
    ("after the 20th", "2026-03-02", "2026-03-21"),
    ("in two weeks", "2026-12-29", "2027-01-12"),
    ("in two weeks", "2026-01-25", "2026-02-08"),   # across a month end
    ("on the fifth of January", "2026-12-29", "2027-01-05"),
    ("Wednesday next week", "2026-11-25", "2026-12-02"),
])
def test_dates_resolve_against_the_call_date(words, said_on, expected):
    assert resolve(words, dt.datetime.fromisoformat(said_on)).isoformat() == expected


def test_next_contact_from_the_call_date_in_metadata():
    lines = STATUS_CALLS["bad_timing"]
    assert outcome(*lines).next_contact.date == "2027-01-21"
    later = outcome(*lines, metadata=CallMetadata("S2", call_time="2026-11-10T09:00:00"))
    assert later.next_contact.date == "2027-01-21"
    assert outcome(*lines, metadata=CallMetadata("S3")).next_contact is None  # no date: nothing to resolve against


def judge_sales(criterion: str, *lines: str, metadata: CallMetadata = OUTBOUND):
    return judge(criterion, dialogue(*lines), metadata, rubric=sales_rubric())


def test_purpose_within_six_seconds_of_the_agents_speech():
    early = judge_sales("purpose_stated_early", "C: Hello?",
                        "A: Hi, Rosa from TillPro, I'm calling about your card machine.")
    late = judge_sales("purpose_stated_early", "C: Hello?",
                       "A: Good morning, how are you today, lovely weather we are having this week in the city isn't it?",
                       "C: I suppose so.",
                       "A: I'm calling about your card machine.")
    assert (early.verdict, late.verdict) == (PASS, FAIL)
    inbound = judge_sales("purpose_stated_early", "A: Hi, TillPro, how can I help?",
                          metadata=CallMetadata("S4", direction="inbound"))
    assert inbound.verdict == NOT_APPLICABLE


def test_decision_maker_checked():
    checked = judge_sales("decision_maker_checked", "C: Hello?",
                          "A: Hi, Rosa from TillPro. Are you the person who looks after the tills?")
    not_checked = judge_sales("decision_maker_checked", "C: Hello?",
                              "A: Hi, Rosa from TillPro. I'm calling about our new card machine, it is very fast.")
    assert (checked.verdict, not_checked.verdict) == (PASS, FAIL)


def test_follow_up_wrong_and_right_patterns():
    vague = judge_sales("follow_up_specific", "C: Hello, Dale Primary.",
                        "A: Hi, it's Rosa from ClassCloud, following up on the brochure I sent.",
                        "A: How is it going? Any questions at all?")
    specific = judge_sales("follow_up_specific", "C: Hello, Dale Primary.",
                           "A: Hi, it's Rosa from ClassCloud, following up on our meeting.",
                           "A: You said you would show the plan to the teachers. Could that happen this week or next?")
    first_call = judge_sales("follow_up_specific", *STATUS_CALLS["meeting_booked"])
    assert (vague.verdict, specific.verdict, first_call.verdict) == (FAIL, PASS, NOT_APPLICABLE)
    assert "how is it going" in vague.detail.lower()
    assert outcome("C: Hello.", "A: Hi, Rosa again, following up on our call last week.").follow_up


def test_the_sales_block_on_the_card_and_back():
    from qa_pipeline.pipeline import score_transcript_with_models

    card = score_transcript_with_models(dialogue(*STATUS_CALLS["wants_materials"]), sales_rubric(), OUTBOUND, "S.flac")
    data = scorecard_to_dict(card)
    assert data["sales"]["status"] == "wants_materials" and data["sales"]["call_again"] is True
    assert data["sales"]["next_contact"]["date"] == "2026-12-31" and data["sales"]["next_contact"]["words"] == "on Thursday"
    assert scorecard_to_dict(scorecard_from_dict(data)) == data
    etiquette = score_transcript_with_models(dialogue(*STATUS_CALLS["wants_materials"]), load_rubric("etiquette"),
                                             OUTBOUND, "S.flac")
    assert "sales" not in scorecard_to_dict(etiquette)


def test_the_html_card_shows_the_sales_block_with_evidence_linked_to_the_transcript():
    from qa_pipeline.pipeline import score_transcript_with_models
    from qa_pipeline.report import scorecard_html as render_html

    card = score_transcript_with_models(dialogue(*STATUS_CALLS["wants_materials"]), sales_rubric(), OUTBOUND, "S.flac")
    html = render_html(card)
    section = html[html.index('<section id="sales">'):html.index("</section>", html.index('<section id="sales">'))]
    assert "wants materials (call again" in section and "2026-12-31 (“on Thursday”)" in section
    assert 'href="#t' in section  # the status evidence links its transcript line
    etiquette = score_transcript_with_models(dialogue(*STATUS_CALLS["wants_materials"]), load_rubric("etiquette"),
                                             OUTBOUND, "S.flac")
    assert '<section id="sales">' not in render_html(etiquette)


def test_the_sales_evidence_is_redacted_like_the_criteria_evidence():
    from qa_pipeline.pipeline import score_transcript_with_models
    from qa_pipeline.redaction.scorecard import redact_scorecard

    lines = ("C: Ward Pharmacy.", "A: Hi, Rosa from MediStock, I'm calling about your ordering system.",
             "C: Head office decides, call them on 0207 946 0321, the branch can't decide that.")
    card = score_transcript_with_models(dialogue(*lines), sales_rubric(), OUTBOUND, "S.flac")
    assert any("0207" in e.text for e in card.sales.status_evidence)
    public, _ = redact_scorecard(card)
    assert not any("0207" in e.text for e in public.sales.status_evidence)


def test_status_agreement_on_held_out_industries():
    """The acceptance floor: >= 0.9 agreement and 'unknown' on at most 1 call in 10, on the
    test split's industries, which the shipped model was not trained on."""
    from qa_pipeline.classifiers.model_io import default_model_dir, read_card
    from qa_pipeline.files import source_checkout
    from qa_pipeline.sales.data import load_calls
    from qa_pipeline.sales.training import measure

    data = source_checkout() / "data" / "sales"
    test, train = load_calls(data / "test"), load_calls(data / "train")
    assert not {c.industry for c in test} & {c.industry for c in train}
    assert set(read_card(default_model_dir(), "sales_status")["data"]["industries"]) == {c.industry for c in train}
    rows, _ = measure(test, sales_rubric(), default_model_dir())
    overall = rows[-1]
    assert overall.calls == len(test) and {r.status for r in rows[:-1]} == set(sales_config(sales_rubric()).labels)
    assert overall.agreement >= 0.9 and overall.unknown <= 0.1, rows


def test_the_status_model_rebuilds_the_same_from_the_same_data(tmp_path):
    from qa_pipeline.classifiers.model_io import default_model_dir
    from qa_pipeline.files import source_checkout
    from qa_pipeline.sales.data import load_calls
    from qa_pipeline.sales.model import status_probabilities
    from qa_pipeline.sales.training import train_status_model

    data = source_checkout() / "data" / "sales"
    train_status_model(load_calls(data / "train"), sales_config(sales_rubric()).labels, tmp_path)
    for call in load_calls(data / "test")[:6]:
        utterances = call.transcript().utterances
        rebuilt = status_probabilities(utterances, model_dir=tmp_path)
        assert rebuilt == pytest.approx(status_probabilities(utterances, model_dir=default_model_dir()), abs=1e-9)


def test_evaluate_compares_the_sales_block_with_the_manifest_labels():
    from qa_pipeline.evaluate import evaluate, evaluation_to_dict, format_table
    from qa_pipeline.pipeline import score_transcript_with_models

    cards = {cid: score_transcript_with_models(dialogue(*STATUS_CALLS[status]), sales_rubric(),
                                               CallMetadata(cid, call_time="2026-12-29T10:00:00",
                                                            direction="outbound"), f"{cid}.flac")
             for cid, status in (("A", "wants_materials"), ("B", "no_need"))}
    labels = {"A": {"sales": {"status": "wants_materials", "next_contact": "2026-12-31"}},
              "B": {"sales": {"status": "bad_timing", "next_contact": None}}}
    sales = evaluate(labels, cards).sales
    assert (sales.calls, sales.status_agreement, sales.unknown, sales.next_contact_agreement) == (2, 0.5, 0.0, 1.0)
    assert sales.mismatches == (("B", "status", "bad_timing", "no_need"),)
    assert "sales: 2 calls, status agreement 0.50" in format_table(evaluate(labels, cards))
    assert evaluation_to_dict(evaluate(labels, cards))["sales"]["per_status"]["bad_timing"] == {"calls": 1, "agreement": 0.0}


@pytest.mark.parametrize("change, message", [
    (lambda s: s["statuses"]["no_need"].update(group="later"), "sales.statuses.no_need.group: expected one of"),
    (lambda s: s["statuses"]["no_need"].update(customer="no need"), "sales.statuses.no_need.customer: expected a list"),
    (lambda s: s.update(min_status_confidence="high"), "sales.min_status_confidence: expected a number"),
    (lambda s: s["next_actions"].append({"what": "visit", "who": "nobody"}), "sales.next_actions[4]: expected"),
])
def test_a_broken_sales_section_is_a_config_error_naming_the_key(change, message):
    import copy

    from qa_pipeline.errors import ConfigError
    from qa_pipeline.sales.config import parse_sales

    section = copy.deepcopy(sales_rubric().sales)
    change(section)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_sales(section, "sales.yaml")
