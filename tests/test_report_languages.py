"""The HTML scorecard's own words in the call's language: Japanese and Russian sample calls
(their scripts scored with the real rules) render headings, facts, verdicts and speakers
translated; every string the template marks has a translation in every card catalogue;
English, and a language without a catalogue, read as the template is written."""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from html import unescape

import pytest
from babel.messages.pofile import read_po

from qa_pipeline import synth
from qa_pipeline.records import AGENT, CUSTOMER, CallMetadata, RoleDecision, Transcript, Utterance
from qa_pipeline.report import scorecard_html
from qa_pipeline.report_i18n import CATALOGUE_LANGUAGES, catalogue_path, extracted

SPEAKERS = {"agent": AGENT, "customer": CUSTOMER}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
ROLES = RoleDecision("channels", agent_channel=0, confidence=0.9, direction="inbound", direction_source="speech",
                     direction_confidence=0.8)
# Layout words of the English card that must not be left on a translated one.
ENGLISH_LAYOUT = ("Scorecard", "Recording", "Call time", "Duration", "channels", "Roles from", "agent on channel",
                  "inbound", "the customer called", "read from the opening", "not recorded", "version",
                  "To check by listening", "These verdicts", "<h2>Verdicts", "<th>Criterion", "<th>Weight",
                  ">pass<", ">fail<", ">not applicable<", ">check<", ">serious<", "Call metrics",
                  "speaking rate", "words/min", "<h2>Transcript", ">agent<", ">customer<", "evidence for")


def _card(root, language: str, script: str, roles: RoleDecision | None = ROLES):
    """The script's turns scored by the call_handling rubric of its language (as in
    tests/test_detail_languages.py: 0.1 s a character, 0.6 s apart), one verdict to check."""
    from qa_pipeline.rubric import load_rubric
    from qa_pipeline.scoring import score_transcript

    folder = root / "scripts" / "calls" / ("" if language == "en" else language)
    call = synth.load_script(folder / script)
    utterances, t = [], 0.5
    for turn in call.turns:
        end = t + 0.1 * len(turn.text)
        utterances.append(Utterance(SPEAKERS[turn.speaker], round(t, 2), round(end, 2), turn.text))
        t = end + 0.6
    transcript = Transcript(tuple(utterances), duration_s=t + 2.0, channels=2, language=call.language, roles=roles)
    card = score_transcript(transcript, load_rubric("call_handling", language=language),
                            CallMetadata(call.call_id, direction=call.direction), f"{call.call_id}.flac")
    return replace(card, criteria=tuple(replace(c, needs_review=(i == 1)) for i, c in enumerate(card.criteria)))


@pytest.mark.parametrize(("language", "script", "expected"), [
    ("ru", "R02_courier_slushayu.yaml",
     ("<title>Оценка звонка R02", "<h1>Звонок R02</h1>", "<dt>Запись</dt>", "2 канала</dd>",
      "по каналам, оператор на канале 0, уверенность 0.90",
      "входящий: звонил клиент (определено по началу разговора, уверенность 0.80)", "<dd>не записан</dd>",
      "<dd>call_handling, версия 2</dd>", "<strong>Проверить на слух:</strong>", "<h2>Вердикты</h2>",
      "<th>Критерий</th><th>Вердикт</th><th>Уверенность</th><th>Вес</th>",
      ">не выполнено</td>", ">выполнено</td>", ">проверить</span>", ">серьёзно</span>",
      "<h2>Метрики звонка</h2>", "слов/мин", "<h2>Расшифровка</h2>", '<span class="speaker">оператор</span>',
      '<span class="speaker">клиент</span>', "доказательство для: ")),
    ("ja", "J04_internet_kiiteimasu.yaml",
     ("<title>スコアカード J04", "<h1>通話 J04</h1>", "<dt>録音</dt>", "2 チャンネル</dd>",
      "チャンネルから判定, オペレーターはチャンネル 0, 信頼度 0.90",
      "着信：お客様が電話をかけた (通話の冒頭から判定、信頼度 0.80)", "<dd>記録なし</dd>",
      "<dd>call_handling バージョン 2</dd>", "<strong>聞いて確認すること：</strong>", "<h2>判定</h2>",
      "<th>評価項目</th><th>判定</th><th>信頼度</th><th>重み</th>",
      ">不合格</td>", ">合格</td>", ">要確認</span>", ">重大</span>",
      "<h2>通話の指標</h2>", "語/分", "<h2>文字起こし</h2>", '<span class="speaker">オペレーター</span>',
      '<span class="speaker">お客様</span>', "根拠：")),
])
def test_a_sample_call_card_reads_in_its_language(root, language, script, expected):
    page = scorecard_html(_card(root, language, script))
    assert f'<html lang="{language}">' in page
    for text in expected:
        assert text in page, text
    body = page[page.index("<body>"):page.index("<footer>")]
    left = [word for word in ENGLISH_LAYOUT if word in body]
    assert not left, left
    # A highlight's tooltip names the criterion and its verdict in the call's language too.
    titles = re.findall(r'<mark class="ev-\w+" title="([^"]*)"', page)
    assert titles and all(unescape(t).rsplit(": ", 1)[1].split(";")[0] not in ("pass", "fail") for t in titles)


def test_the_call_direction_from_metadata_and_an_outbound_call_in_russian(root):
    roles = replace(ROLES, direction="outbound", direction_source="metadata", direction_confidence=None)
    page = scorecard_html(_card(root, "ru", "R02_courier_slushayu.yaml", roles))
    assert "<dd>исходящий: звонил оператор (из метаданных звонка)</dd>" in page


def test_english_and_a_language_without_a_catalogue_read_as_the_template_is_written(root):
    card = _card(root, "en", "C01_dental_extraction.yaml")
    english = scorecard_html(card)
    for text in ("<title>Scorecard C01", "2 channels</dd>", "from the channels, agent on channel 0, confidence 0.90",
                 "inbound: the customer called (read from the opening, confidence 0.80)", "<h2>Verdicts</h2>",
                 "<h2>Transcript</h2>", '<span class="speaker">agent</span>', "<strong>To check by listening:</strong>"):
        assert text in english, text
    german = replace(card, transcript=replace(card.transcript, language="de"))
    assert scorecard_html(german) == english.replace('<html lang="en">', '<html lang="de">')


def test_words_from_data_are_escaped_on_a_translated_card(root):
    card = _card(root, "ru", "R02_courier_slushayu.yaml")
    odd = replace(card.transcript.utterances[0], speaker="<b>x</b>")
    card = replace(card, transcript=replace(card.transcript, utterances=(odd, *card.transcript.utterances[1:])))
    page = scorecard_html(card)
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page


def test_cards_in_several_languages_render_at_once_each_in_its_own(root):
    """Two threads start together from cold caches (no catalogue compiled, no template built)
    and each renders a Russian and a Japanese card in turn, in opposite orders: each page is
    the one a single thread writes, whichever thread built its language's catalogue."""
    from qa_pipeline import report, report_i18n

    cards = {code: _card(root, code, script) for code, script in
             (("ru", "R02_courier_slushayu.yaml"), ("ja", "J04_internet_kiiteimasu.yaml"))}
    alone = {code: scorecard_html(card) for code, card in cards.items()}
    report_i18n.translation.cache_clear()  # the catalogues of every `catalogues.Domain`
    report._template.cache_clear()
    start = threading.Barrier(2, timeout=60)
    found: dict[int, list[tuple[str, str]]] = {}

    def render(worker: int, order: tuple[str, str]) -> None:
        start.wait()
        found[worker] = [(code, scorecard_html(cards[code])) for _ in range(10) for code in order]

    threads = [threading.Thread(target=render, args=(worker, order))
               for worker, order in enumerate((("ru", "ja"), ("ja", "ru")))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(found) == [0, 1]
    for pages in found.values():
        assert len(pages) == 20 and all(page == alone[code] for code, page in pages)
    assert "<h2>Расшифровка</h2>" in alone["ru"] and "<h2>文字起こし</h2>" in alone["ja"]


@pytest.mark.parametrize("code", CATALOGUE_LANGUAGES)
def test_every_marked_string_is_translated_with_the_same_placeholders(code):
    with catalogue_path(code).open("rb") as handle:
        catalogue = {m.id: m for m in read_po(handle, locale=code) if m.id}
    marked = {m.id for m in extracted() if m.id}
    assert set(catalogue) == marked, "run python -m qa_pipeline.report_i18n"
    for msgid, message in catalogue.items():
        ids = msgid if isinstance(msgid, tuple) else (msgid,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{code}: untranslated {msgid!r}"
        wanted = set(PLACEHOLDER.findall(" ".join(ids)))
        assert all(set(PLACEHOLDER.findall(s)) == wanted for s in strings), f"{code}: {msgid!r}"


@pytest.mark.parametrize("code", CATALOGUE_LANGUAGES)
def test_every_speaker_role_and_an_empty_one_read_in_the_cards_language(root, code):
    """Each role of records.ROLES has its word (a third voice, 'other', included); an empty
    speaker stays empty rather than becoming the catalogue's header (gettext's reading of "")."""
    from qa_pipeline.records import ROLES
    from qa_pipeline.report_i18n import SPEAKERS, translation

    assert set(ROLES) <= set(SPEAKERS)
    assert all(translation(code).gettext(SPEAKERS[role]) != SPEAKERS[role] for role in ROLES)
    card = _card(root, "ru", "R02_courier_slushayu.yaml")
    blank = replace(card.transcript.utterances[0], speaker="")
    page = scorecard_html(replace(card, transcript=replace(card.transcript,
                                                           utterances=(blank, *card.transcript.utterances[1:]))))
    assert "Project-Id-Version" not in page


def test_an_empty_warning_stays_empty():
    from qa_pipeline.criteria.i18n import card_text

    assert card_text("", "ru") == "" and card_text("", "ja") == ""
