"""End to end in headless Chromium: `qa-pipeline serve` over calls scored by `qa-pipeline score`."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from qa_pipeline.store import open_store
from qa_pipeline.store.views import CallFilter

from _web_helpers import CHROMIUM, PASSWORD, rescore, score_calls, start_server

pytestmark = pytest.mark.browser

# Set to a folder (e.g. docs/screenshots) to keep the screenshots this module takes.
SCREENSHOTS_ENV = "QA_PIPELINE_SCREENSHOTS"


@pytest.fixture(scope="module")
def served(tmp_path_factory, root):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (Debian package 'chromium')")
    folder = tmp_path_factory.mktemp("review")
    url = f"sqlite:///{folder / 'store.sqlite'}"
    score_calls(root, folder, url)
    store = open_store(url)
    ids = {row.call_label: row.scorecard_id for row in store.list_calls(CallFilter()).rows}
    store.close()
    # The audio root holds the recordings and the scoring output (the redacted copies).
    process, base = start_server(url, folder)
    yield {"base": base, "ids": ids, "folder": folder, "url": url}
    process.terminate()
    process.wait(timeout=10)




def log_in(page, base: str, name: str, path: str = "/calls") -> None:
    page.goto(base + path)
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(re.compile(re.escape(base + path)))


def listed(page) -> list[str]:
    return page.eval_on_selector_all("table.calls tbody tr[data-call]", "rows => rows.map(r => r.dataset.call)")


def wait_until(page, expression: str, timeout_s: float = 30.0) -> None:
    """Poll a page expression with `page.evaluate`. Playwright's `wait_for_function` re-runs a
    string predicate through `eval`, which the app's Content-Security-Policy (no 'unsafe-eval')
    blocks once it has to poll."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {expression}")
        page.wait_for_timeout(50)


def wait_for_metadata(page) -> None:
    wait_until(page, "document.getElementById('player').readyState >= 1")


def current_time(page) -> float:
    wait_until(page, "!document.getElementById('player').seeking")
    return page.evaluate("document.getElementById('player').currentTime")


def test_an_unauthenticated_visit_is_sent_to_login(page, served):
    page.goto(served["base"] + "/calls?agent=agent-ben")
    assert "/login?next=/calls" in page.url
    assert page.is_visible("input[name=password]")


def test_a_supervisor_logs_in_and_filters_the_list(page, served):
    log_in(page, served["base"], "sam")
    assert listed(page) == ["C03", "C02", "C01"]
    page.select_option("select[name=agent]", "agent-ben")
    page.click(".filters button[type=submit]")
    page.wait_for_url(re.compile(r"agent=agent-ben"))
    assert listed(page) == ["C02"]


def test_an_evidence_link_seeks_the_player(page, served):
    log_in(page, served["base"], "tina")
    partial = []
    page.on("response", lambda r: partial.append(r.status) if r.url.endswith("/audio") else None)
    page.click("table.calls a:text('C01')")
    wait_for_metadata(page)
    links = page.locator("a.seek")
    starts = [float(s) for s in links.evaluate_all("links => links.map(a => a.dataset.seek)")]
    target = max(starts)
    assert target > 5
    links.nth(starts.index(target)).click()
    assert target - 0.05 <= current_time(page) < target + 2
    assert 206 in partial


def test_a_transcript_line_plays_from_its_moment(page, served):
    log_in(page, served["base"], "tina", f"/calls/{served['ids']['C01']}")
    wait_for_metadata(page)
    line = page.locator("li.turn.customer").first
    start = float(line.get_attribute("data-seek"))
    line.click()
    assert start - 0.05 <= current_time(page) < start + 2



def test_a_scored_call_reads_its_roles_direction_and_speakers_in_russian(page, served):
    log_in(page, served["base"], "tina", f"/calls/{served['ids']['C01']}?lang=ru")
    assert page.text_content("#roles").startswith("Роли по каналам: оператор на канале ")
    assert re.fullmatch(r"(Входящий звонок: звонил клиент|Исходящий звонок: звонил оператор)"
                        r"( \((из метаданных звонка|определено по началу разговора, уверенность \d\.\d\d)\))?",
                        page.text_content("#direction"))
    speakers = set(page.locator("li.turn .who").all_text_contents())
    assert speakers == {"Оператор", "Клиент"}


def criterion_with_evidence(url: str) -> tuple[str, str]:
    """A (criterion, verdict) whose library entries carry evidence, preferring failures."""
    store = open_store(url)
    try:
        for verdict in ("fail", "pass"):
            for criterion in store.criterion_ids():
                if any(hit.evidence for hit in store.library(criterion, verdict)):
                    return criterion, verdict
    finally:
        store.close()
    raise AssertionError("no scored criterion has evidence")


def test_a_trainer_finds_failed_calls_in_the_library_and_opens_one_at_the_evidence(page, served):
    criterion, verdict = criterion_with_evidence(served["url"])
    log_in(page, served["base"], "tina", "/library")
    page.select_option("select[name=criterion]", criterion)
    page.select_option("select[name=verdict]", verdict)
    page.click(".filters button[type=submit]")
    page.wait_for_url(re.compile(f"criterion={criterion}"))
    moment = page.locator("table.library .evidence-item a[href*='#t=']").first
    start = float(moment.get_attribute("href").split("#t=")[1])
    moment.click()
    page.wait_for_url(re.compile(r"/calls/\d+#t="))
    wait_for_metadata(page)
    assert start - 0.05 <= current_time(page) < start + 2
    assert page.locator("a.clip").count() > 0


def test_an_override_persists_after_a_rescore(page, served):
    call = served["ids"]["C01"]
    log_in(page, served["base"], "sam", f"/calls/{call}")
    row = page.locator("#criterion-name_use")
    machine = row.locator(".machine-verdict .verdict").inner_text().lower()
    human = "pass" if machine == "fail" else "fail"
    row.locator("details.override summary").click()
    row.locator("select[name=verdict]").select_option(human)
    row.locator("input[name=comment]").fill("caller's name used at the end")
    with page.expect_navigation():
        row.locator("form button[type=submit]").click()
    assert page.locator("#criterion-name_use .comment").count() == 1
    saved_before = page.locator("#scored-at").inner_text()

    rescore(served["folder"], served["url"])
    page.reload()
    row = page.locator("#criterion-name_use")
    assert row.locator(".human-verdict .verdict").inner_text().lower() == human
    assert row.locator(".machine-verdict .verdict").inner_text().lower() == machine
    assert "caller's name used at the end" in row.locator(".comment").inner_text()
    assert row.locator(".override-user").inner_text() == "sam"
    assert page.locator("#scored-at").inner_text() != saved_before


def test_an_agent_cannot_open_another_agents_call(page, served):
    base, ids = served["base"], served["ids"]
    log_in(page, base, "ana")
    assert listed(page) == ["C03", "C01"]
    assert page.goto(f"{base}/calls/{ids['C01']}").status == 200
    response = page.goto(f"{base}/calls/{ids['C02']}")
    assert response.status == 403
    assert "Not allowed" in page.inner_text("h1")


def test_the_pages_break_no_rule_of_the_content_security_policy(page, served):
    """Chromium enforces the app's CSP; no page may trip it, and the colours set from data attributes apply."""
    base, ids = served["base"], served["ids"]
    page.add_init_script(
        "window.cspViolations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    log_in(page, base, "sam")
    for path in ("/calls", f"/calls/{ids['C01']}", "/agents", "/agents/agent-anna", "/library", "/calibration"):
        page.goto(base + path)
        page.wait_for_load_state("load")
        assert page.evaluate("window.cspViolations") == [], path
    page.goto(base + "/calls")
    painted = page.eval_on_selector_all(
        "[data-score]", "els => els.map(e => [e.dataset.score, getComputedStyle(e).getPropertyValue('--score').trim()])"
    )
    assert painted and all(float(data) == float(style) for data, style in painted)


def test_screenshots_of_the_main_pages(page, served, tmp_path):
    folder = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    base, ids = served["base"], served["ids"]
    log_in(page, base, "sam")
    shots = {
        "calls-list.png": "/calls",
        "call-page.png": f"/calls/{ids['C01']}",
        "agent-page.png": "/agents/agent-anna",
        "calibration.png": "/calibration",
    }
    for name, path in shots.items():
        page.goto(base + path)
        page.screenshot(path=str(folder / name), full_page=True)
    assert all((folder / name).stat().st_size > 10_000 for name in shots)
