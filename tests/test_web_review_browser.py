"""The review loop in headless Chromium: search, the queue, disputes, and agents' limits.

`qa-pipeline serve` over the espeak-ng calls of `_web_helpers` plus one call of its own
(C05, agent-ben): a billing complaint whose customer line no other call has, a failed
goodbye its card marks serious. C01 has one unsure verdict (confidence 0.4).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from test_web_browser import SCREENSHOTS_ENV, current_time, listed, log_in, wait_for_metadata

from qa_pipeline.contract import scorecard_to_dict
from qa_pipeline.records import AGENT, CUSTOMER, FAIL
from qa_pipeline.store import open_store

from _web_helpers import CHROMIUM, make_card, make_recording, seed_store, start_server, write_corpus

pytestmark = pytest.mark.browser

COMPLAINT = (
    (AGENT, "Good afternoon, this is Ben speaking."),
    (CUSTOMER, "I was charged twice for my last cleaning."),
    (AGENT, "I am sorry about that. I will refund the second charge today."),
)


def complaint_call(folder: Path) -> Path:
    """C05: its own recording and a card failing said_goodbye, marked as a serious error."""
    wav = folder / "recordings" / "C05.wav"
    utterances = make_recording(wav, COMPLAINT)
    card = make_card("C05", "agent-ben", str(wav), utterances, {"said_goodbye": FAIL})
    data = scorecard_to_dict(card) | {"call_time": "2026-11-04T12:00:00"}
    for criterion in data["criteria"]:
        if criterion["id"] == "said_goodbye":
            criterion["serious_error"] = "not saying goodbye"
    path = folder / "scorecards" / "C05.json"
    path.write_text(json.dumps(data))
    return path


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (Debian package 'chromium')")
    folder = tmp_path_factory.mktemp("review-loop")
    cards = write_corpus(folder)
    cards["C05"] = complaint_call(folder)
    unsure = json.loads(cards["C01"].read_text())
    for criterion in unsure["criteria"]:
        if criterion["id"] == "asked_questions":
            criterion["confidence"] = 0.4
    cards["C01"].write_text(json.dumps(unsure))
    url = f"sqlite:///{folder / 'store.sqlite'}"
    ids = seed_store(url, cards)
    process, base = start_server(url, folder / "recordings")
    yield {"base": base, "ids": ids, "url": url}
    process.terminate()
    process.wait(timeout=10)




def search(page, words: str) -> None:
    page.fill("input[name=q]", words)
    with page.expect_navigation():
        page.click(".filters button[type=submit]")


def in_view_below_player(page, selector: str) -> bool:
    """The element's top is below the sticky player's bottom and inside the window."""
    return page.evaluate(
        """sel => { const row = document.querySelector(sel).getBoundingClientRect();
                    const player = document.querySelector('.player').getBoundingClientRect();
                    return row.top >= player.bottom - 1 && row.top < window.innerHeight; }""",
        selector,
    )


def test_search_by_a_transcript_phrase_finds_the_call_and_plays_from_the_line(page, served):
    log_in(page, served["base"], "sam")
    search(page, "charged twice")
    assert listed(page) == ["C05"]
    assert page.locator("tr.hit-row mark").all_inner_texts() == ["charged", "twice"]
    assert page.locator("tr.hit-row .hit-text").inner_text() == "I was charged twice for my last cleaning."
    link = page.locator("tr.hit-row a.hit-play")
    start = float(link.get_attribute("href").split("#t=")[1])
    assert start > 2  # the customer's line, after the agent's greeting
    link.click()
    page.wait_for_url(re.compile(r"/calls/\d+#t="))
    wait_for_metadata(page)
    assert start - 0.05 <= current_time(page) < start + 2
    # Words stem ("charging"), call ids and agents are found too; filters narrow a search.
    page.goto(served["base"] + "/calls?q=charging")
    assert listed(page) == ["C05"]
    page.goto(served["base"] + "/calls?q=book+cleaning&agent=agent-anna")
    assert listed(page) == ["C02", "C01"]
    page.goto(served["base"] + "/calls?q=C03")
    assert listed(page) == ["C03"]


def test_the_queue_puts_disputes_then_serious_errors_then_unsure_verdicts_first(page, served):
    store = open_store(served["url"])
    try:
        agent = next(u for u in (store.authenticate("ana", "correct horse battery staple"),) if u)
        store.dispute(served["ids"]["C02"], "name_use", "I said her name", agent.id)
    finally:
        store.close()
    log_in(page, served["base"], "sam", "/queue")
    # C02 disputed, C05 serious error, C01 one unsure verdict, then the newest of the rest.
    assert listed(page) == ["C02", "C05", "C01", "C04", "C03"]
    reasons = page.locator("table.queue tbody tr td.reasons").all_inner_texts()
    assert "1 open dispute" in reasons[0] and "1 serious error" in reasons[1] and "1 unsure verdict" in reasons[2]
    # A reviewed call leaves the queue.
    page.goto(f"{served['base']}/calls/{served['ids']['C02']}")
    with page.expect_navigation():
        page.click("button[value=started]")
    assert page.inner_text("#review-status") == "in review"
    with page.expect_navigation():
        page.click("button[value=reviewed]")
    assert page.inner_text("#review-status") == "reviewed"
    page.goto(served["base"] + "/queue")
    assert listed(page) == ["C05", "C01", "C04", "C03"]
    page.goto(served["base"] + "/calls?status=reviewed")
    assert listed(page) == ["C02"]


def test_an_agent_disputes_a_supervisor_resolves_and_both_are_in_the_history(browser, served):
    base, call = served["base"], served["ids"]["C04"]
    agent = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(agent, base, "ben", f"/calls/{call}")
    row = agent.locator("#criterion-said_goodbye")
    row.locator("details.dispute-form summary").click()
    row.locator("details.dispute-form input[name=comment]").fill("I said goodbye after the caller hung up")
    with agent.expect_navigation():
        row.locator("details.dispute-form button[type=submit]").click()
    assert "I said goodbye after the caller hung up" in agent.locator("#criterion-said_goodbye .dispute").inner_text()
    with agent.expect_navigation():
        agent.click("#acknowledge")
    assert agent.is_visible("#acknowledged")
    agent.context.close()

    supervisor = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(supervisor, base, "sam", f"/calls/{call}")
    assert supervisor.inner_text("#open-disputes") == "1 open dispute"
    form = supervisor.locator("#criterion-said_goodbye form.resolve")
    form.locator("select[name=action]").select_option("overrule")
    form.locator("select[name=verdict]").select_option("pass")
    form.locator("input[name=comment]").fill("goodbye heard at the end of the recording")
    with supervisor.expect_navigation():
        form.locator("button[type=submit]").click()
    assert supervisor.locator("#criterion-said_goodbye .human-verdict .verdict").first.inner_text().lower() == "pass"
    assert not supervisor.is_visible("#open-disputes")
    assert in_view_below_player(supervisor, "#criterion-said_goodbye")
    history = supervisor.locator("table.history tbody tr")
    kinds = history.evaluate_all("rows => rows.map(r => r.dataset.kind)")
    assert kinds == ["disputed", "acknowledged", "overruled"]
    texts = history.all_inner_texts()
    assert "ben" in texts[0] and "I said goodbye after the caller hung up" in texts[0]
    assert "sam" in texts[2] and "goodbye heard at the end of the recording" in texts[2]
    supervisor.goto(f"{base}/agents/agent-ben")
    counts = supervisor.locator("#review-counts")
    assert counts.locator("[data-count=acknowledged]").inner_text() == "1"
    assert counts.locator("[data-count=disputed]").inner_text() == "1"
    assert "1 overruled" in counts.inner_text()
    supervisor.context.close()


def test_an_agent_cannot_see_another_agents_calls(page, served):
    base, ids = served["base"], served["ids"]
    log_in(page, base, "ana")
    assert listed(page) == ["C02", "C01"]
    search(page, "charged twice")  # ben's call: not found for anna
    assert listed(page) == []
    page.goto(base + "/calls?agent=agent-ben")
    assert listed(page) == ["C02", "C01"]
    assert page.goto(f"{base}/calls/{ids['C05']}").status == 403
    assert page.goto(f"{base}/queue").status == 403
    assert page.goto(f"{base}/agents/agent-ben").status == 403


def test_a_saved_override_stays_in_view_below_the_player(page, served):
    page.set_viewport_size({"width": 1280, "height": 480})  # a short window: the page scrolls to the row
    log_in(page, served["base"], "sam", f"/calls/{served['ids']['C03']}")
    row = page.locator("#criterion-no_im_listening")
    row.locator("details.override summary").click()
    row.locator("select[name=verdict]").select_option("fail")
    row.locator("input[name=comment]").fill("said it at 0:20")
    with page.expect_navigation():
        row.locator("form button[type=submit]").click()
    page.wait_for_timeout(200)
    assert page.evaluate("window.scrollY") > 0  # the page did jump to the row
    assert in_view_below_player(page, "#criterion-no_im_listening")


def test_failed_chips_say_what_happened(page, served):
    log_in(page, served["base"], "sam", "/calls?q=C05")
    # The corpus cards carry no failed_title: the fallback names the criterion as not met.
    assert page.locator("table.calls .chip.fail").all_inner_texts() == ["Not met: Said goodbye"]


def test_screenshots_of_the_review_pages(page, served, tmp_path):
    folder = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    from click.testing import CliRunner

    from qa_pipeline.cli import main

    base, ids = served["base"], served["ids"]
    # The corpus cards were built by hand; scoring their transcripts for real gives a diff to show.
    assert CliRunner().invoke(main, ["rescore", "--rubric", "etiquette", "--db", served["url"]]).exit_code == 0
    log_in(page, base, "sam")
    shots = {"search.png": "/calls?q=charged+twice", "review-queue.png": "/queue",
             "dispute-history.png": f"/calls/{ids['C04']}", "rubric-changes.png": "/rescores"}
    for name, path in shots.items():
        page.goto(base + path)
        page.screenshot(path=str(folder / name), full_page=True)
    assert all((folder / name).stat().st_size > 10_000 for name in shots)
