"""Review-app privacy and hardening of issue 23, on the real app over a real SQLite store: only
the recording stored for a call is played (no fallback by file name), X-Forwarded-For counts
only from trusted proxies, the login CSRF cookie is Secure with --secure-cookies, account
names are unique without case, and every response (errors included) carries the headers."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import pytest

from qa_pipeline.contract import scorecard_from_dict
from qa_pipeline.web.app import SECURITY_HEADERS, create_app

from _web_helpers import PASSWORD, client_for, login


def _save(app, corpus, call_id: str, audio_path: str, agent_id: str = "agent-anna") -> int:
    card = scorecard_from_dict(json.loads(corpus[1]["C02"].read_text()))
    card = replace(card, call_id=call_id, agent_id=agent_id, recording=audio_path)
    return app.state.store.save_scorecard(card, f"{abs(hash(call_id)):064d}", audio_path)


def test_a_missing_recording_is_never_replaced_by_another_file_of_that_name(site, corpus):
    app = site[0]
    root = corpus[0] / "recordings"
    assert (root / "C03.wav").is_file()  # agent-ben's recording, under the audio root
    # agent-anna's call stored with a relative path whose file is not there: same file name as C03.
    scorecard_id = _save(app, corpus, "anna-lost", "elsewhere/C03.wav")
    client = client_for(app, "ana")
    assert client.get(f"/calls/{scorecard_id}").status_code == 200
    response = client.get(f"/calls/{scorecard_id}/audio")
    assert response.status_code == 404
    assert (root / "C03.wav").read_bytes() not in response.content
    assert client_for(app, "tina").get(f"/calls/{scorecard_id}/clip?criterion=name_use&item=0").status_code == 404


def test_a_relative_stored_path_is_found_under_the_audio_root(site, corpus):
    app = site[0]
    root = corpus[0] / "recordings"
    (root / "sub").mkdir(exist_ok=True)
    shutil.copyfile(root / "C01.wav", root / "sub" / "mine.wav")
    scorecard_id = _save(app, corpus, "anna-relative", "sub/mine.wav")
    response = client_for(app, "ana").get(f"/calls/{scorecard_id}/audio")
    assert response.status_code == 200 and response.content == (root / "sub" / "mine.wav").read_bytes()


def _login_from(client, name: str, forwarded_for: str) -> int:
    import re

    form = client.get("/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    response = client.post("/login", data={"name": name, "password": "wrong guess", "csrf": token, "next": "/calls"},
                           headers={"X-Forwarded-For": forwarded_for})
    return response.status_code


def test_x_forwarded_for_from_an_untrusted_peer_does_not_dodge_the_address_limit(site):
    app = site[0]
    client = client_for(app, None, client=("127.0.0.1", 40000))
    statuses = [_login_from(client, f"nobody{i}", f"203.0.113.{i}") for i in range(21)]
    assert statuses[:19] == [401] * 19
    assert statuses[19:] == [429, 429]  # the loopback peer's own address is locked, whatever the header said


def test_x_forwarded_for_names_the_client_behind_a_trusted_proxy(site):
    _, _, url = site
    app = create_app(url, audio_root=".", trusted_proxies=["127.0.0.1"])
    try:
        client = client_for(app, None, client=("127.0.0.1", 40000))
        statuses = [_login_from(client, f"nobody{i}", "198.51.100.7, 203.0.113.9") for i in range(21)]
        assert statuses[20] == 429  # 203.0.113.9 (the right-most untrusted hop) is locked
        assert _login_from(client, "sam-x", "203.0.113.10") == 401  # another client is not
        # A client that forges a trusted hop on the right is still itself.
        assert _login_from(client, "sam-y", "203.0.113.9, 127.0.0.1") == 429
    finally:
        app.state.store.close()


def test_a_malformed_trusted_proxy_is_a_clear_error(site):
    from qa_pipeline.errors import ConfigError

    with pytest.raises(ConfigError, match="trusted proxy"):
        create_app(site[2], audio_root=".", trusted_proxies=["not-an-address"])


def test_secure_cookies_also_mark_the_login_csrf_cookie_secure(site):
    _, _, url = site
    for secure in (True, False):
        app = create_app(url, audio_root=".", secure_cookies=secure)
        try:
            cookie = client_for(app, None).get("/login").headers["set-cookie"]
            assert cookie.startswith("qa_login_csrf=")
            assert ("; secure" in cookie.lower()) is secure
        finally:
            app.state.store.close()


def test_account_names_are_unique_without_case(site):
    app = site[0]
    with pytest.raises(ValueError, match="exists"):
        app.state.store.add_user("SAM", "agent", PASSWORD, "agent-sam")
    assert login(client_for(app, None), "SAM", PASSWORD).status_code == 303  # the one account "sam"
    # Failures under any spelling of one name fill one account window.
    client = client_for(app, None)
    statuses = [login(client, name, "wrong guess").status_code for name in ("sam", "SAM", "Sam", "sAm", "saM", "sam")]
    assert statuses[:4] == [401] * 4 and statuses[5] == 429


def test_a_clip_of_an_unreadable_recording_is_an_error_page_with_the_headers(site, corpus):
    app = site[0]
    root = corpus[0] / "recordings"
    (root / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot audio at all")
    scorecard_id = _save(app, corpus, "anna-broken", str(root / "broken.wav"))
    response = client_for(app, "tina", raise_server_exceptions=False).get(
        f"/calls/{scorecard_id}/clip?criterion=name_use&item=0")
    assert response.status_code == 422 and "cannot be read" in response.text
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value


def test_an_unexpected_server_error_still_carries_the_security_headers(site, monkeypatch):
    app = site[0]
    client = client_for(app, "sam", raise_server_exceptions=False)

    def broken(*args, **kwargs):
        raise RuntimeError("the store went away")

    monkeypatch.setattr(app.state.store, "criterion_titles", broken)
    response = client.get("/calls")
    assert response.status_code == 500 and "the store went away" not in response.text
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert response.headers["Cache-Control"] == "no-store"


def test_serve_takes_trusted_proxies_and_refuses_a_malformed_one(site, tmp_path):
    from click.testing import CliRunner

    from qa_pipeline.cli import main

    result = CliRunner().invoke(main, ["serve", "--db", site[2], "--audio-root", str(tmp_path),
                                       "--trusted-proxy", "10.0.0.0/33"])
    assert result.exit_code == 1 and "trusted proxy" in result.output
