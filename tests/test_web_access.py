"""The review app's access log, favicon, and what `serve` says when the audio is elsewhere (real SQLite, in-process)."""

from __future__ import annotations

import logging

from click.testing import CliRunner

from qa_pipeline.cli import main
from qa_pipeline.web.app import create_app

from _web_helpers import client_for


def test_opening_a_call_is_logged_with_user_and_call_ids_only(site, caplog):
    app, ids, _ = site
    ana, sam = client_for(app, "ana"), client_for(app, "sam")
    with caplog.at_level(logging.INFO, logger="qa_pipeline.web.access"):
        assert ana.get(f"/calls/{ids['C01']}").status_code == 200
        assert ana.get(f"/calls/{ids['C01']}/audio", headers={"Range": "bytes=0-99"}).status_code == 206
        assert ana.get(f"/calls/{ids['C01']}/audio", headers={"Range": "bytes=100-199"}).status_code == 206  # a seek
        assert ana.get(f"/calls/{ids['C03']}").status_code == 403  # refused: not logged
    ana_id = next(u for u in [app.state.store.authenticate("ana", "correct horse battery staple")] if u).id
    assert [r.getMessage() for r in caplog.records] == [f"user={ana_id} call={ids['C01']} action=page",
                                                        f"user={ana_id} call={ids['C01']} action=audio"]
    page = sam.get(f"/calls/{ids['C01']}").text
    assert "Opened by" in page and "played the recording" in page
    assert [(name, action) for name, action, _ in app.state.store.access_log(ids["C01"])] == [
        ("sam", "page"), ("ana", "audio"), ("ana", "page")]
    assert "Opened by" not in ana.get(f"/calls/{ids['C01']}").text  # agents do not see who looked


def test_the_favicon_is_served_without_a_login(site):
    client = client_for(site[0], None)
    answer = client.get("/favicon.ico")
    assert answer.status_code == 301 and answer.headers["location"] == "/static/favicon.svg"
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert 'rel="icon" href="/static/favicon.svg"' in client.get("/login").text


def test_a_call_whose_audio_is_outside_the_root_says_where_to_point_serve(site, tmp_path):
    _, ids, url = site
    app = create_app(url, audio_root=tmp_path)
    try:
        page = client_for(app, "sam").get(f"/calls/{ids['C01']}").text
        assert f"The recording C01.wav is not available: it is not inside the app&#39;s audio folder {tmp_path}" in page
        assert "--audio-root DIR" in page and "QA_PIPELINE_AUDIO_ROOT" in page
        assert "The recording of this call is not available." in client_for(app, "ana").get(f"/calls/{ids['C01']}").text
    finally:
        app.state.store.close()


def test_serve_takes_the_audio_root_from_the_environment_and_warns_when_calls_lack_audio(site, tmp_path, capsys):
    from qa_pipeline.cli.serve import _warn_missing_audio

    _, _, url = site
    missing = CliRunner().invoke(main, ["serve", "--db", url], env={"QA_PIPELINE_AUDIO_ROOT": str(tmp_path / "nope")})
    assert missing.exit_code == 2 and "QA_PIPELINE_AUDIO_ROOT" in missing.output and "does not exist" in missing.output
    app = create_app(url, audio_root=tmp_path)
    try:
        _warn_missing_audio(app, tmp_path)
    finally:
        app.state.store.close()
    err = capsys.readouterr().err
    assert err.startswith(f"warning: 4 of the 4 latest stored calls have no recording inside {tmp_path} (e.g. C0")
    assert "--audio-root" in err
