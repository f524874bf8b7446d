"""Review-app hardening on the real app over a real SQLite store: throttled log-ins, account
commands that end sessions, no 500 on out-of-range numbers, RFC 6266 download names, CSP,
no-store, formula-safe CSV, and `serve` refusing a store that does not exist."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import zipfile
from dataclasses import replace
from urllib.parse import unquote

import pytest
from click.testing import CliRunner

from qa_pipeline.cli import main
from qa_pipeline.contract import scorecard_from_dict
from qa_pipeline.store import migrate
from qa_pipeline.store.accounts import MIN_PASSWORD_LENGTH
from qa_pipeline.web.app import create_app

from _web_helpers import PASSWORD, client_for, csrf_of, login

NEW_PASSWORD = "a different long passphrase"


def cli(*args: str, stdin: str | None = None):
    return CliRunner().invoke(main, list(args), input=stdin)


def add_call(app, corpus, call_id: str) -> int:
    """C02's scorecard and recording saved again under another call id; returns its scorecard id."""
    card = scorecard_from_dict(json.loads(corpus[1]["C02"].read_text()))
    return app.state.store.save_scorecard(replace(card, call_id=call_id), f"{abs(hash(call_id)):064d}", card.recording)


# -- throttled log-ins --------------------------------------------------------------------


def test_an_account_is_locked_after_five_failures_even_for_the_right_password(site, caplog):
    client = client_for(site[0], None)
    with caplog.at_level(logging.WARNING, logger="qa_pipeline.web.throttle"):
        statuses = [login(client, "sam", f"wrong guess {i}").status_code for i in range(5)]
    assert statuses == [401, 401, 401, 401, 429]
    locked = login(client, "sam", PASSWORD)
    assert locked.status_code == 429 and "qa_session" not in locked.cookies
    assert 800 < int(locked.headers["retry-after"]) <= 900
    assert "Too many failed log-ins" in locked.text
    (record,) = caplog.records
    assert "login locked for account 'sam'" in record.getMessage()
    # Another account from another address is not affected.
    assert login(client_for(site[0], None, client=("10.0.0.9", 4000)), "tina", PASSWORD).status_code == 303


def test_parallel_guesses_get_no_more_password_checks_than_sequential_ones(site, monkeypatch):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    store, checked = site[0].state.store, []
    real_authenticate = store.authenticate
    # A spy, not a stand-in: every guess still goes through the real password check.
    monkeypatch.setattr(store, "authenticate", lambda *args: checked.append(args) or real_authenticate(*args))
    clients = [client_for(site[0], None, client=("203.0.113.5", 6000 + i)) for i in range(10)]
    forms = [{"name": "sam", "password": f"guess {i}", "csrf": csrf_of(c, "/login"), "next": "/calls"}
             for i, c in enumerate(clients)]
    start = threading.Barrier(len(clients))

    def guess(i: int) -> int:
        start.wait()
        return clients[i].post("/login", data=forms[i]).status_code

    with ThreadPoolExecutor(len(clients)) as pool:
        statuses = list(pool.map(guess, range(len(clients))))
    assert len(checked) == 5
    assert sorted(statuses) == [401] * 4 + [429] * 6


def test_a_successful_login_clears_the_accounts_failures(site):
    client = client_for(site[0], None)
    for i in range(4):
        login(client, "sam", f"wrong guess {i}")
    assert login(client, "sam", PASSWORD).status_code == 303
    assert [login(client, "sam", f"again {i}").status_code for i in range(4)] == [401] * 4


def test_an_address_is_locked_after_twenty_failures_across_accounts(site, caplog):
    client = client_for(site[0], None, client=("192.0.2.7", 5000))
    with caplog.at_level(logging.WARNING, logger="qa_pipeline.web.throttle"):
        statuses = [login(client, f"guess{i}", "wrong password here").status_code for i in range(20)]
    assert statuses == [401] * 19 + [429]
    assert login(client, "tina", PASSWORD).status_code == 429
    assert "login locked for address '192.0.2.7'" in caplog.records[-1].getMessage()
    assert login(client_for(site[0], None, client=("192.0.2.8", 5000)), "tina", PASSWORD).status_code == 303


# -- accounts -------------------------------------------------------------------------------


def test_passwords_shorter_than_twelve_characters_are_refused(site):
    store = site[0].state.store
    with pytest.raises(ValueError, match="at least 12 characters"):
        store.add_user("newbie", "trainer", "x" * (MIN_PASSWORD_LENGTH - 1))
    store.add_user("newbie", "trainer", "x" * MIN_PASSWORD_LENGTH)
    result = cli("user", "passwd", "newbie", "--password-stdin", "--db", site[2], stdin="short\n")
    assert result.exit_code == 1 and "at least 12 characters, got 5" in result.output


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (["user", "passwd", "sam", "--password-stdin"], NEW_PASSWORD + "\n"),
        (["user", "disable", "sam"], None),
        (["user", "add", "sam", "--role", "supervisor", "--password-stdin"], NEW_PASSWORD + "\n"),
    ],
    ids=["passwd", "disable", "add-again"],
)
def test_account_commands_end_the_users_sessions(site, args, stdin):
    app, ids, url = site
    sam, tina = client_for(app, "sam"), client_for(app, "tina")
    assert sam.get("/calls").status_code == 200
    result = cli(*args, "--db", url, stdin=stdin)
    assert result.exit_code == 0, result.output
    assert sam.get("/calls").status_code == 303
    assert tina.get("/calls").status_code == 200


def test_a_new_password_replaces_the_old_one(site):
    app, _, url = site
    cli("user", "passwd", "sam", "--password-stdin", "--db", url, stdin=NEW_PASSWORD + "\n")
    assert login(client_for(app, None), "sam", PASSWORD).status_code == 401
    assert login(client_for(app, None), "sam", NEW_PASSWORD).status_code == 303


def test_a_disabled_user_cannot_log_in_until_enabled(site):
    app, _, url = site
    assert cli("user", "disable", "tina", "--db", url).exit_code == 0
    assert login(client_for(app, None), "tina", PASSWORD).status_code == 401
    assert cli("user", "enable", "tina", "--db", url).exit_code == 0
    assert login(client_for(app, None), "tina", PASSWORD).status_code == 303


def test_account_commands_name_an_unknown_user(site):
    result = cli("user", "disable", "nobody", "--db", site[2])
    assert result.exit_code == 1 and "no user named 'nobody'" in result.output


# -- numbers out of range -------------------------------------------------------------------

HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (f"/calls?page={HUGE}", 404),
        ("/calls?page=2", 404),
        ("/calls?page=0", 200),
        ("/calls?page=-3", 200),
        (f"/calls/{HUGE}", 404),
        ("/calls/-1", 404),
        ("/calls/0", 404),
        (f"/calls/{HUGE}/audio", 404),
        (f"/calls/{HUGE}/clip?criterion=name_use", 404),
        (f"/calls/{{C02}}/clip?criterion=name_use&item={HUGE}", 404),
        (f"/calls/{{C02}}/clip?criterion=name_use&item=-{HUGE}", 404),
        ("/calls/not-a-number", 422),
        ("/calls?date_to=9999-12-31&date_from=0001-01-01", 200),
        ("/calls?score_min=nan&score_max=1e999", 200),
        (f"/calls.csv?page={HUGE}", 200),
    ],
)
def test_out_of_range_numbers_are_not_found_never_a_server_error(site, path, status):
    app, ids, _ = site
    client = client_for(app, "sam", raise_server_exceptions=False)
    assert client.get(path.format(**ids)).status_code == status


def test_an_override_of_an_out_of_range_call_is_not_found(site):
    app, ids, _ = site
    client = client_for(app, "sam", raise_server_exceptions=False)
    data = {"criterion": "name_use", "verdict": "pass", "comment": "x", "csrf": csrf_of(client, "/calls")}
    assert client.post(f"/calls/{HUGE}/overrides", data=data).status_code == 404


# -- downloads --------------------------------------------------------------------------------


def test_a_clip_of_a_call_with_a_non_ascii_id_downloads_under_its_own_name(site, corpus):
    app = site[0]
    call_id = "通话-Zoë"
    scorecard_id = add_call(app, corpus, call_id)
    response = client_for(app, "tina").get(f"/calls/{scorecard_id}/clip?criterion=name_use&item=0")
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    assert disposition.isascii() and disposition.startswith('attachment; filename="')
    name = unquote(disposition.split("filename*=UTF-8''")[1])
    assert re.fullmatch(r"通话-Zoë_name_use_\d+\.\ds\.zip", name)
    stem = name.removesuffix(".zip")
    assert sorted(zipfile.ZipFile(io.BytesIO(response.content)).namelist()) == [f"{stem}.txt", f"{stem}.wav"]


def test_a_download_name_keeps_no_header_breaking_characters(site, corpus):
    app = site[0]
    scorecard_id = add_call(app, corpus, 'a"b\r\nSet-Cookie: x=1/..\\c')
    response = client_for(app, "tina").get(f"/calls/{scorecard_id}/clip?criterion=name_use&item=0")
    assert response.status_code == 200 and "set-cookie" not in response.headers
    fallback = re.fullmatch(r'attachment; filename="([^"]*)"; filename\*=UTF-8\'\'(\S+)',
                            response.headers["content-disposition"])
    assert fallback and not re.search(r"[\r\n/\\]", fallback.group(1) + unquote(fallback.group(2)))


# -- CSV ----------------------------------------------------------------------------------------


def test_the_calls_csv_holds_no_live_formula(site, corpus):
    app = site[0]
    hostile = '=HYPERLINK("http://evil.example","click")'
    add_call(app, corpus, hostile)
    rows = list(csv.DictReader(io.StringIO(client_for(app, "tina").get("/calls.csv").text)))
    assert "'" + hostile in [r["call_id"] for r in rows]
    assert all(not r[column].startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for column in r)


# -- headers ---------------------------------------------------------------------------------


def test_every_response_carries_a_content_security_policy_of_its_own_origin(site):
    app, ids, _ = site
    client = client_for(app, "sam")
    for path in ("/login", "/calls", f"/calls/{ids['C01']}", "/static/app.css"):
        policy = client.get(path).headers["content-security-policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy and "default-src 'none'" in policy
        assert "unsafe-inline" not in policy


@pytest.mark.parametrize(
    "path",
    ["/calls", "/calls/{C02}", "/agents", "/agents/agent-anna", "/library?criterion=name_use", "/calibration", "/login",
     "/calls/999"],
)
def test_no_page_has_an_inline_script_or_style_the_policy_would_block(site, path):
    app, ids, _ = site
    client = client_for(app, "sam")
    html = client.get(path.format(**ids)).text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=", html)


@pytest.mark.parametrize(
    "path", ["/calls", "/calls/{C01}", "/calls/{C01}/audio", "/calls.csv", "/agents/agent-anna", "/calibration", "/login"]
)
def test_pages_with_call_data_are_not_stored_by_caches(site, path):
    app, ids, _ = site
    assert client_for(app, "sam").get(path.format(**ids)).headers["cache-control"] == "no-store"


def test_static_files_may_be_cached(site):
    assert "no-store" not in client_for(site[0], None).get("/static/app.js").headers.get("cache-control", "")


# -- the store must exist ---------------------------------------------------------------------


def test_serve_refuses_a_store_that_does_not_exist(tmp_path):
    missing = tmp_path / "typo.sqlite"
    result = cli("serve", "--db", f"sqlite:///{missing}", "--audio-root", str(tmp_path))
    assert result.exit_code == 1
    assert f"no results store at {missing}" in result.output and "qa-pipeline db init" in result.output
    assert not missing.exists()


def test_db_init_creates_the_store_that_serve_then_accepts(tmp_path):
    url = f"sqlite:///{tmp_path / 'qa.sqlite'}"
    result = cli("db", "init", "--db", url)
    assert result.exit_code == 0 and f"schema revision {migrate.head_revision()}" in result.output
    app = create_app(url, audio_root=tmp_path)
    assert client_for(app, None).get("/login").status_code == 200
    app.state.store.close()


def test_an_empty_file_is_not_a_store(tmp_path):
    (tmp_path / "empty.sqlite").touch()
    result = cli("user", "disable", "sam", "--db", f"sqlite:///{tmp_path / 'empty.sqlite'}")
    assert result.exit_code == 1 and "has no tables" in result.output
