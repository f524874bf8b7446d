"""Roles and direction from what is said in Russian, Greek and Korean (qa_pipeline/speech/roles.yaml,
``languages:``), on hand-written turns with the real language pipelines (pymorphy3, Kiwi).

On a stereo call the agent is found on either channel: each call is tried with the agent on
the left and on the right, and with the direction read from speech (no metadata).
"""

from __future__ import annotations

import pytest

from qa_pipeline.records import Utterance
from qa_pipeline.speech.roles import decide_roles, load_cues
from qa_pipeline.speech.speakers import channel_roles

# (who, text) turns: "A" the agent, "C" the customer. The Russian ones follow sample calls
# R01, R04 (inbound) and R07, R08 (outbound), with Whisper's own slips where it made them.
CALLS = {
    "ru inbound": ("ru", "inbound", (
        ("A", "Добрый день, стоматологическая клиника Улыбка, администратор Дмитрий. Чем могу помочь?"),
        ("C", "Здравствуйте, меня зовут Анна Сергеевна. У меня болит зуб, хочу записаться к врачу."),
        ("A", "Анна Сергеевна, подскажите, пожалуйста, какой зуб вас беспокоит?"),
        ("C", "Нижний справа, болит уже третий день."),
    )),
    "ru inbound, «я вас слушаю»": ("ru", "inbound", (
        ("A", "Компания окна плюс, я вас слушаю."),
        ("C", "Здравствуйте."),
        ("C", "Меня зовут Виктор. Я звоню по поводу балконной двери, она перестала закрываться."),
        ("A", "Виктор, подскажите, дверь пластиковая?"),
    )),
    "ru outbound": ("ru", "outbound", (
        ("C", "Алло."),
        ("A", "Добрый день, Елена Викторовна, меня зовут Сергей, страховая компания Надёжная защита, звоню по поводу "
              "продления вашей страховки. Вам удобно сейчас говорить?"),
        ("C", "Да, слушаю вас."),
        ("A", "Спасибо. Подскажите, когда заканчивается ваш текущий полис?"),
    )),
    "ru outbound, «… слушает»": ("ru", "outbound", (
        ("C", "Алло, Наталья слушает."),
        ("A", "Здравствуйте, это компания Теплодом. У нас скидки на газовые котлы, установка бесплатно."),
        ("C", "Спасибо, но нам сейчас ничего не нужно."),
    )),
    "el inbound": ("el", "inbound", (
        ("A", "Καλημέρα! Εγκατάσταση παραθύρων, εταιρεία Ventura. Το όνομά μου είναι Άννα. Πώς μπορώ να σας βοηθήσω;"),
        ("C", "Καλημέρα, θα ήθελα να κλείσω ένα ραντεβού για τοποθέτηση."),
        ("A", "Βεβαίως. Μου λέτε το όνομά σας;"),
    )),
    "el outbound": ("el", "outbound", (
        ("C", "Εμπρός;"),
        ("A", "Καλησπέρα, είμαι η Μαρία από την ασφαλιστική Ασπίδα. Σας καλώ για την ανανέωση του συμβολαίου σας. "
              "Μιλάω με τον κύριο Παπαδόπουλο;"),
        ("C", "Ναι, εγώ είμαι."),
    )),
    "ko inbound": ("ko", "inbound", (
        ("A", "감사합니다, 한빛 고객센터 상담원 김지수입니다. 무엇을 도와드릴까요?"),
        ("C", "안녕하세요, 예약하고 싶어서 전화했는데요."),
        ("A", "네, 성함이 어떻게 되세요?"),
    )),
    "ko outbound": ("ko", "outbound", (
        ("C", "여보세요?"),
        ("A", "안녕하세요, 한빛보험에서 전화드렸습니다. 김민수 고객님 맞으신가요? 보험 갱신 때문에 연락드렸습니다."),
        ("C", "네, 맞는데요."),
    )),
}


def _channels(lines: tuple[tuple[str, str], ...], agent_channel: int) -> list[tuple[Utterance, ...]]:
    """Stereo channels of `lines` (3 s apart), the agent on `agent_channel`."""
    return [tuple(Utterance("unknown", 3.0 * k, 3.0 * k + 2.5, text, channel=ch)
                  for k, (who, text) in enumerate(lines) if (who == "A") == (ch == agent_channel)) for ch in (0, 1)]


@pytest.mark.parametrize("agent_channel", [0, 1])
@pytest.mark.parametrize("name", list(CALLS))
def test_stereo_roles_and_direction_from_speech(name, agent_channel):
    code, direction, lines = CALLS[name]
    channel, decision, warnings = channel_roles(_channels(lines, agent_channel), language=code)
    assert (channel, decision.direction, decision.direction_source) == (agent_channel, direction, "speech"), warnings
    assert not warnings, warnings


def test_without_the_cues_the_russian_outbound_call_is_misread():
    """The cues decide: with English cues, the customer's «Алло» makes her the agent of an inbound call."""
    code, _, lines = CALLS["ru outbound"]
    by_speaker = {"A": [], "C": []}
    for k, (who, text) in enumerate(lines):
        by_speaker[who].append(Utterance("unknown", 3.0 * k, 3.0 * k + 2.5, text))
    assert decide_roles(by_speaker, load_cues("en")).direction.direction == "inbound"
    result = decide_roles(by_speaker, load_cues(code))
    assert (result.agent, result.direction.direction) == ("A", "outbound")
    assert {"speaks_for_company", "calls_with_reason", "asks_for_customer"} <= set(result.cues["A"])
    assert {"answers_phone"} <= set(result.cues["C"])


def test_a_korean_agent_says_whom_they_call_for():
    result = decide_roles({"A": [Utterance("unknown", 2.0, 5.0, "안녕하세요, 한빛보험에서 전화드렸습니다.")],
                           "C": [Utterance("unknown", 0.5, 1.5, "여보세요?")]}, load_cues("ko"))
    assert "speaks_for_company" in result.cues["A"] and result.direction.direction == "outbound"


@pytest.mark.parametrize("text, cue", [
    ("Слушаю.", "answers_listening"),
    ("Да, я вас слушаю.", "answers_listening"),
    ("Чем мы можем вам помочь?", "offers_help"),  # lemmas: «можем» is «мочь»
    ("Я звонила вам вчера по поводу заказа.", "says_they_are_calling"),
    ("Вас беспокоит Ольга из компании Светлый дом.", "speaks_for_company"),
    ("Звоню напомнить о вашей записи на завтра.", "calls_with_reason"),
])
def test_russian_cues_match_by_lemma(text, cue):
    result = decide_roles({"0": [Utterance("unknown", 0.0, 2.0, text)]}, load_cues("ru"))
    assert cue in result.cues["0"], result.cues


def test_a_later_slushaite_is_no_answer():
    """«Слушайте, …» has the lemma of «слушаю», but only a speaker's first short utterance answers the phone."""
    by_speaker = {"0": [Utterance("unknown", 0.0, 2.0, "Добрый день, чем могу помочь?")],
                  "1": [Utterance("unknown", 3.0, 5.0, "Хочу записаться к врачу."),
                        Utterance("unknown", 6.0, 8.0, "Слушайте, а сколько это стоит?")]}
    result = decide_roles(by_speaker, load_cues("ru"))
    assert "answers_listening" not in result.cues["1"] and result.agent == "0"


@pytest.mark.parametrize("agent, customer", [
    # Sample call J08 as Whisper wrote it: a price «でございます» is no company greeting.
    ("お忙しいところをそれ入りますスポーツクラブワカバの林と申します今月から新しいキャンペーンが始まりまして"
     "月会費が7000円入会金は無料でございます", "はい、渡辺です"),
    # J12: «確認でお電話いたしました», the agent's humble いたす.
    ("こちらキムラ様のお電話でしょうか私レストラン葵の井上と申します土曜日のご予約の確認でお電話いたしました", "もしもし"),
])
def test_japanese_outbound_openings_as_whisper_writes_them(agent, customer):
    result = decide_roles({"0": [Utterance("unknown", 2.0, 9.0, agent)], "1": [Utterance("unknown", 0.5, 1.5, customer)]},
                          load_cues("ja"))
    assert (result.agent, result.direction.direction) == ("0", "outbound"), (result.scores, result.direction)


def test_a_japanese_caller_who_says_she_called_is_no_outbound_agent():
    """«お電話しました» (plain する) is the caller's; only the humble «お電話いたしました» is the agent's."""
    result = decide_roles({"0": [Utterance("unknown", 0.5, 3.0, "お電話ありがとうございます。さくら不動産の近藤でございます。")],
                           "1": [Utterance("unknown", 4.0, 8.0, "鈴木と申します。広告を見てお電話しました。")]},
                          load_cues("ja"))
    assert (result.agent, result.direction.direction) == ("0", "inbound")


# A word of each language for "*" in a phrase.
ANY_WORD = {"ru": "пять", "el": "πέντε", "ko": "오늘", "ja": "田中"}


@pytest.mark.parametrize("code", ["ru", "el", "ko", "ja"])
def test_every_role_cue_phrase_matches_its_own_words(code):
    import re

    from qa_pipeline import nlp
    from qa_pipeline.phrases import find_phrases

    entries = [(name, p) for name, cue in load_cues(code).phrases.items() for p in cue.phrases]
    assert len(entries) > 40
    texts = [re.sub(r"\s*\.\.\.\s*", " ", p).replace("*", ANY_WORD[code]).strip() for _, p in entries]
    docs = nlp.parse(texts, code)
    missed = [p for (_, p), doc in zip(entries, docs) if not find_phrases(doc, (p,))]
    assert not missed, missed
