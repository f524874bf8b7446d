"""The review app in-process over a real SQLite store and real recordings (HTTP via TestClient)."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

import pytest
import soundfile as sf

from qa_pipeline.contract import scorecard_from_dict
from qa_pipeline.identity import content_hash
from qa_pipeline.records import FAIL, PASS
from qa_pipeline.store import open_store
from qa_pipeline.web.auth import SESSION_COOKIE, safe_next
from qa_pipeline.web.formatting import clock, label

from _web_helpers import PASSWORD, client_for, csrf_of, login, rescored


def listed(html: str) -> list[str]:
    return re.findall(r'<tr data-call="([^"]+)"', html)


@pytest.mark.parametrize("path", ["/calls", "/calls/1", "/calls/1/audio", "/agents/agent-anna", "/library", "/calibration"])
def test_unauthenticated_requests_go_to_login(site, path):
    response = client_for(site[0], None).get(path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=" + path.split("?")[0])


def test_login_lands_on_the_page_asked_for(site):
    response = login(client_for(site[0], None), "sam", PASSWORD, next_path="/calibration")
    assert (response.status_code, response.headers["location"]) == (303, "/calibration")
    assert SESSION_COOKIE in response.cookies


@pytest.mark.parametrize(("name", "password"), [("sam", "wrong"), ("nobody", PASSWORD)])
def test_bad_credentials_are_refused(site, name, password):
    response = login(client_for(site[0], None), name, password)
    assert response.status_code == 401 and "wrong password" in response.text


def test_login_without_its_csrf_token_is_refused(site):
    client = client_for(site[0], None)
    client.get("/login")
    response = client.post("/login", data={"name": "sam", "password": PASSWORD, "csrf": "forged"})
    assert response.status_code == 403


def test_an_expired_session_goes_back_to_login(site):
    app, _, _ = site
    user = app.state.store.authenticate("sam", PASSWORD)
    token, _ = app.state.store.start_session(user.id, ttl_s=-1)
    client = client_for(app, None)
    client.cookies.set(SESSION_COOKIE, token)
    assert client.get("/calls").status_code == 303


def test_logout_ends_the_session(site):
    client = client_for(site[0], "sam")
    client.post("/logout", data={"csrf": csrf_of(client, "/calls")})
    assert client.get("/calls").status_code == 303


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["C04", "C03", "C02", "C01"]),
        ("agent=agent-ben", ["C04", "C03"]),
        ("date_from=2026-11-03&date_to=2026-11-03", ["C03", "C02"]),
        ("score_min=70&score_max=90", ["C04", "C02"]),
        ("failed=name_use", ["C03", "C02"]),
        ("sort=score&order=asc", ["C03", "C04", "C02", "C01"]),
        ("score_min=not-a-number", ["C04", "C03", "C02", "C01"]),
    ],
)
def test_calls_list_filters_and_sorts(site, query, expected):
    assert listed(client_for(site[0], "tina").get(f"/calls?{query}").text) == expected


def test_csv_export_is_the_current_view(site):
    response = client_for(site[0], "tina").get("/calls.csv?failed=name_use&sort=score&order=asc")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert response.headers["content-type"].startswith("text/csv")
    assert [(r["call_id"], r["score"], r["failed"]) for r in rows] == [
        ("C03", "60.0", "name_use asked_questions"),
        ("C02", "80.0", "name_use"),
    ]


def test_call_page_shows_verdicts_evidence_links_transcript_and_metrics(site):
    app, ids, _ = site
    html = client_for(app, "sam").get(f"/calls/{ids['C02']}").text
    assert f'src="/calls/{ids["C02"]}/audio"' in html
    assert re.search(r'<a class="seek" href="#t=7\.\d+" data-seek="7\.\d+"', html)
    assert html.count('class="turn agent"') == 4 and html.count('class="turn customer"') == 3
    assert 'id="criterion-name_use"' in html and "Agent questions" in html


def test_audio_is_served_in_ranges_so_the_player_can_seek(site):
    app, ids, _ = site
    response = client_for(app, "sam").get(f"/calls/{ids['C01']}/audio", headers={"Range": "bytes=100-1099"})
    assert response.status_code == 206
    assert response.headers["content-range"].startswith("bytes 100-1099/")
    assert len(response.content) == 1000


@pytest.mark.parametrize("escape", ["../outside.wav", "{outside}", "recordings/../../outside.wav", "link.wav"])
def test_audio_never_comes_from_outside_the_recordings_folder(site, corpus, escape):
    app, ids, _ = site
    folder, scorecards = corpus
    outside = folder / "outside.wav"
    outside.write_bytes((folder / "recordings" / "C01.wav").read_bytes())
    link = folder / "recordings" / "link.wav"
    if not link.exists():
        link.symlink_to(outside)
    card = scorecard_from_dict(json.loads(scorecards["C01"].read_text()))
    app.state.store.save_scorecard(card, content_hash(card.recording), escape.format(outside=outside))
    client = client_for(app, "sam")
    assert client.get(f"/calls/{ids['C01']}/audio").status_code == 404
    assert "not available" in client.get(f"/calls/{ids['C01']}").text


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/calls/{C01}", 200),
        ("/calls/{C03}", 403),
        ("/calls/{C03}/audio", 403),
        ("/agents/agent-anna", 200),
        ("/agents/agent-ben", 403),
        ("/library?criterion=name_use", 403),
        ("/calibration", 403),
        ("/calls/{C01}/clip?criterion=name_use", 403),
    ],
)
def test_an_agent_sees_only_their_own_calls(site, path, status):
    app, ids, _ = site
    assert client_for(app, "ana").get(path.format(**ids)).status_code == status


def test_an_agents_list_is_pinned_to_their_own_calls(site):
    assert listed(client_for(site[0], "ana").get("/calls?agent=agent-ben").text) == ["C02", "C01"]


def post_override(client, scorecard_id, criterion="name_use", verdict=PASS, comment="used her name at 7 s", csrf=None):
    token = csrf if csrf is not None else csrf_of(client, f"/calls/{scorecard_id}")
    data = {"criterion": criterion, "verdict": verdict, "comment": comment, "csrf": token}
    return client.post(f"/calls/{scorecard_id}/overrides", data=data)


def test_a_supervisor_override_shows_both_verdicts_and_survives_a_rescore(site, corpus):
    app, ids, _ = site
    client = client_for(app, "sam")
    assert post_override(client, ids["C02"]).status_code == 303
    card = scorecard_from_dict(json.loads(corpus[1]["C02"].read_text()))
    app.state.store.save_scorecard(rescored(card, said_goodbye=FAIL), content_hash(card.recording), card.recording)
    row = client.get(f"/calls/{ids['C02']}").text.split('id="criterion-name_use"')[1].split("</tr>")[0]
    machine, human = row.split('class="human-verdict"')
    assert 'verdict fail' in machine and 'verdict pass' in human
    assert "sam" in human and "used her name at 7 s" in human


@pytest.mark.parametrize(("user", "csrf", "status"), [("sam", "forged", 403), ("tina", None, 403), ("sam", None, 303)])
def test_only_supervisors_with_a_valid_form_may_override(site, user, csrf, status):
    app, ids, _ = site
    assert post_override(client_for(app, user), ids["C02"], csrf=csrf).status_code == status


def test_an_override_without_a_comment_is_refused(site):
    app, ids, _ = site
    assert post_override(client_for(app, "sam"), ids["C02"], comment=" ").status_code == 400


def test_calibration_reports_disagreement_per_criterion(site):
    app, ids, _ = site
    client = client_for(app, "sam")
    post_override(client, ids["C02"])
    post_override(client, ids["C01"], criterion="said_goodbye", verdict=FAIL, comment="no goodbye heard")
    html = client.get("/calibration").text
    row = html.split('data-criterion="name_use"')[1].split("</tr>")[0]
    assert [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', row)] == [4, 1, 1, 0, 1, 0]


def test_library_finds_calls_by_criterion_verdict(site):
    html = client_for(site[0], "tina").get("/library?criterion=name_use&verdict=fail").text
    assert re.findall(r">(C0\d)</a>", html) == ["C03", "C02"]


def test_a_trainer_exports_the_evidence_span_as_a_wav_clip_with_transcript(site):
    app, ids, _ = site
    response = client_for(app, "tina").get(f"/calls/{ids['C02']}/clip?criterion=name_use&item=0")
    bundle = zipfile.ZipFile(io.BytesIO(response.content))
    text_name, wav_name = sorted(bundle.namelist(), key=lambda name: name.endswith(".wav"))
    audio, rate = sf.read(io.BytesIO(bundle.read(wav_name)))
    card = app.state.store.call_detail(ids["C02"]).card
    span = card.result("name_use").evidence[0]
    assert audio.shape[1] == 2
    assert len(audio) / rate == pytest.approx(span.end - span.start + 0.5, abs=0.01)
    assert span.text in bundle.read(text_name).decode()


def test_agent_page_plots_pass_rates_and_links_the_calls_behind_them(site):
    html = client_for(site[0], "sam").get("/agents/agent-anna").text
    assert html.count('<g class="panel"') == 6  # the mean score, then the five criteria
    assert "/calls?agent=agent-anna&amp;date_from=2026-11-03&amp;date_to=2026-11-03" in html
    assert "/calls?agent=agent-anna&amp;failed=name_use" in html


def test_an_agent_reaches_their_own_page_from_agents(site):
    response = client_for(site[0], "ana").get("/agents")
    assert response.headers["location"] == "/agents/agent-anna"


@pytest.mark.parametrize(
    ("target", "expected"),
    [("/calls/3", "/calls/3"), ("//evil.example/x", "/calls"), ("https://evil.example", "/calls"), ("", "/calls")],
)
def test_login_only_returns_to_same_site_paths(target, expected):
    assert safe_next(target) == expected


@pytest.mark.parametrize(("seconds", "text"), [(0, "0:00.0"), (7.25, "0:07.2"), (75.5, "1:15.5"), (3725, "1:02:05.0")])
def test_clock(seconds, text):
    assert clock(seconds) == text


@pytest.mark.parametrize(("identifier", "text"), [("name_use", "Name use"), ("no_im_listening", "No I'm listening")])
def test_label(identifier, text):
    assert label(identifier) == text


def test_user_command_creates_an_account_that_can_log_in(tmp_path):
    from click.testing import CliRunner

    from qa_pipeline.cli import main

    url = f"sqlite:///{tmp_path / 'qa.sqlite'}"
    assert CliRunner().invoke(main, ["db", "init", "--db", url]).exit_code == 0
    args = ["user", "add", "ana", "--role", "agent", "--agent-id", "agent-anna", "--password-stdin", "--db", url]
    result = CliRunner().invoke(main, args, input="s3cret passphrase\n")
    assert result.exit_code == 0, result.output
    assert open_store(url).authenticate("ana", "s3cret passphrase").agent_id == "agent-anna"


def test_user_command_refuses_an_agent_without_an_agent_id(tmp_path):
    from click.testing import CliRunner

    from qa_pipeline.cli import main

    url = f"sqlite:///{tmp_path / 'q.sqlite'}"
    assert CliRunner().invoke(main, ["db", "init", "--db", url]).exit_code == 0
    args = ["user", "add", "ana", "--role", "agent", "--password-stdin", "--db", url]
    result = CliRunner().invoke(main, args, input="long enough password\n")
    assert result.exit_code == 1 and "needs --agent-id" in result.output


def test_call_page_says_how_roles_were_found(site, corpus):
    from dataclasses import replace

    from qa_pipeline.records import RoleDecision

    app, _, _ = site
    card = scorecard_from_dict(json.loads(corpus[1]["C03"].read_text()))
    card = replace(card, transcript=replace(card.transcript, roles=RoleDecision("channels", 1, 0.93, 2)))
    scorecard_id = app.state.store.save_scorecard(card, "c" * 64, card.recording)
    html = client_for(app, "sam").get(f"/calls/{scorecard_id}").text
    assert "Roles from the channels: agent on channel 1 (right) · confidence 0.93" in html
