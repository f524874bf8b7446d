"""The interface language: every marked string has a Russian translation, and a request gets
its language from ?lang=, the cookie, or Accept-Language (real SQLite, in-process)."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from qa_pipeline.web import i18n

from _web_helpers import client_for

RU = "qa_pipeline/web/locale/ru/LC_MESSAGES/messages.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@pytest.fixture(scope="module")
def russian(root):
    with (root / RU).open("rb") as handle:
        return {m.id: m for m in read_po(handle, locale="ru") if m.id}


def test_every_marked_string_has_a_russian_translation_with_the_same_placeholders(russian):
    for message in i18n.extracted():
        if not message.id:
            continue
        assert message.id in russian, f"not in {RU}: {message.id!r} (run python -m qa_pipeline.web.i18n)"
        found = russian[message.id]
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = found.string if isinstance(found.string, tuple) else (found.string,)
        assert all(strings), f"untranslated: {message.id!r}"
        wanted = set(PLACEHOLDER.findall(" ".join(ids)))
        assert all(set(PLACEHOLDER.findall(s)) == wanted for s in strings), message.id


@pytest.mark.parametrize(("query", "cookie", "accept", "expected"), [
    (None, None, None, "en"),
    (None, None, "ru-RU,ru;q=0.9,en;q=0.8", "ru"),
    (None, None, "de-DE,de;q=0.9", "en"),
    (None, "ru", "en-US", "ru"),
    ("en", "ru", "ru", "en"),
    ("xx", None, "ru", "ru"),
])
def test_the_language_of_a_request(query, cookie, accept, expected):
    assert i18n.choose(query, cookie, accept) == expected


def test_pages_follow_the_browser_and_the_choice_is_remembered(site):
    app = site[0]
    anonymous = client_for(app, None)
    login = anonymous.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9"}).text
    assert '<html lang="ru">' in login and "<h1>Войти</h1>" in login
    assert "<h1>Log in</h1>" in anonymous.get("/login").text
    sam = client_for(app, "sam")
    queue = sam.get("/queue?lang=ru")
    assert queue.cookies.get(i18n.COOKIE) == "ru" and "Очередь проверки" in queue.text
    assert "ждут: 4" in queue.text
    # The cookie keeps Russian on the next page; plural forms follow Russian rules.
    kpi = sam.get("/agents").text
    assert "<h1>Операторы</h1>" in kpi and "Средний балл" in kpi
    calls = sam.get("/calls").text
    assert "найдено: 4" in calls and "Страница 1 из 1" in calls and "Нет звонков" not in calls
    assert "2 оценённых звонка" in sam.get("/agents/agent-anna").text
    call = sam.get("/calls/1").text
    assert "<h2>Вердикты</h2>" in call and "Расшифровка" in call and '<span class="verdict pass">выполнено</span>' in call
    assert "Review queue" in sam.get("/queue?lang=en").text


def test_words_from_cards_are_translated_but_never_trusted_as_html(tmp_path):
    from qa_pipeline.store import open_store
    from qa_pipeline.web.app import create_app

    from _kpi_helpers import card_json, save_json
    from _web_helpers import PASSWORD

    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    store = open_store(url)
    save_json(store, card_json("X1", "agent-anna", "2026-11-23T09:00:00", "<b>bold</b>", 60, True,
                               ("2026-11-30", "Monday", "Call me Monday.")))
    store.add_user("sam", "supervisor", PASSWORD)
    store.close()
    app = create_app(url)
    try:
        for lang in ("en", "ru"):
            page = client_for(app, "sam").get(f"/callbacks?lang={lang}").text
            assert "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold</b>" not in page
    finally:
        app.state.store.close()


def test_the_call_page_names_roles_speakers_and_the_direction_in_the_interface_language(site, corpus):
    import json
    from dataclasses import replace

    from qa_pipeline.contract import scorecard_from_dict
    from qa_pipeline.records import RoleDecision

    app = site[0]
    card = scorecard_from_dict(json.loads(corpus[1]["C03"].read_text()))
    assert any(e.speaker == "agent" for c in card.criteria for e in c.evidence)
    pages = {}
    for roles in (RoleDecision("channels", 0, 0.91, 2, "outbound", "metadata"),
                  RoleDecision("diarization", None, None, 3, "inbound", "speech", 0.8)):
        saved = replace(card, transcript=replace(card.transcript, roles=roles))
        scorecard_id = app.state.store.save_scorecard(saved, roles.source[0] * 64, f"{roles.source}.wav")
        pages[roles.source] = {lang: client_for(app, "sam").get(f"/calls/{scorecard_id}?lang={lang}").text
                               for lang in ("en", "ru")}
    stereo, mono = pages["channels"], pages["diarization"]
    assert '<p class="meta small" id="roles">Roles from the channels: agent on channel 0 (left) · confidence 0.91</p>' \
        in stereo["en"]
    assert '<p class="meta small" id="direction">Outbound call: the agent called (from the call\'s metadata)</p>' \
        in stereo["en"]
    assert "Roles from diarization of a mono mix: 3 speakers</p>" in mono["en"]
    assert "Inbound call: the customer called (read from the opening, confidence 0.80)</p>" in mono["en"]
    assert "Роли по каналам: оператор на канале 0 (левом) · уверенность 0.91</p>" in stereo["ru"]
    assert 'id="direction">Исходящий звонок: звонил оператор (из метаданных звонка)</p>' in stereo["ru"]
    assert "Роли по диаризации моно-записи: 3 говорящих</p>" in mono["ru"]
    assert "Входящий звонок: звонил клиент (определено по началу разговора, уверенность 0.80)</p>" in mono["ru"]
    # Evidence and transcript lines name their speaker in the interface language.
    assert '<span class="speaker agent">agent</span>' in stereo["en"]
    assert '<span class="speaker agent">оператор</span>' in stereo["ru"]
    assert not re.search(r">(agent|customer|Agent|Customer)<", stereo["ru"])
