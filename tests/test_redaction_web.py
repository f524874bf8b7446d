"""The review app plays and cuts clips only from a call's redacted audio when it has one."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
import soundfile as sf

pytest.importorskip("fastapi")
pytest.importorskip("presidio_analyzer")

from _web_helpers import PASSWORD, seed_store, write_corpus  # noqa: E402


def test_audio_and_clips_come_from_the_redacted_copy(tmp_path):
    from fastapi.testclient import TestClient

    from qa_pipeline.contract import scorecard_from_dict
    from qa_pipeline.identity import content_hash
    from qa_pipeline.redaction.audio import write_redacted_audio
    from qa_pipeline.redaction.engine import PiiSpan
    from qa_pipeline.web.app import create_app

    scorecards = write_corpus(tmp_path)
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    ids = seed_store(url, scorecards)
    card = scorecard_from_dict(json.loads(scorecards["C02"].read_text()))
    recording = tmp_path / "recordings" / card.recording.split("/")[-1]
    assert recording.is_file()
    span = card.result("name_use").evidence[0]
    redacted = write_redacted_audio(recording, [PiiSpan("CARD_NUMBER", span.start, span.end, 1, "")],
                                    tmp_path / "recordings" / "out" / "C02.redacted.flac")
    app = create_app(url, audio_root=tmp_path / "recordings")
    app.state.store.save_scorecard(card, content_hash(recording), card.recording, redacted_audio=str(redacted))

    client = TestClient(app, follow_redirects=False)
    form = client.get("/login").text
    token = form.split('name="csrf" value="')[1].split('"')[0]
    client.post("/login", data={"name": "tina", "password": PASSWORD, "csrf": token, "next": "/calls"})
    played = client.get(f"/calls/{ids['C02']}/audio")
    assert played.status_code == 200 and played.content == redacted.read_bytes()
    clip = client.get(f"/calls/{ids['C02']}/clip?criterion=name_use&item=0")
    bundle = zipfile.ZipFile(io.BytesIO(clip.content))
    wav = next(n for n in bundle.namelist() if n.endswith(".wav"))
    audio, rate = sf.read(io.BytesIO(bundle.read(wav)))
    middle = audio[int(0.3 * rate): -int(0.3 * rate)]  # inside the silenced span, past the clip padding
    assert np.max(np.abs(middle)) == 0.0
    original, rate = sf.read(recording, start=int(span.start * 16000 + 0.1 * 16000), stop=int(span.end * 16000))
    assert np.max(np.abs(original)) > 0.01  # the original has speech there: the check could fail
    app.state.store.close()
