"""Russian and Japanese call_handling rules that the sample calls (sample_audio_ru, _ja) showed
wrong, on text: Russian time words compared by lemma in any case and after any preposition, as
booked times are said; Japanese next steps as Whisper writes them (うかがいます in kana) and as
an agent asks the caller to come (来てください)."""

from __future__ import annotations

from functools import cache

import pytest

from qa_pipeline.records import FAIL, PASS, CallMetadata

from _scoring_helpers import dialogue

pytest.importorskip("pymorphy3")

OPENING = {"ru": ("A: Добрый день, компания Светлый дом, меня зовут Ольга. Чем могу помочь?",
                  "C: Здравствуйте, хочу поменять окна в квартире."),
           "ja": ("A: お電話ありがとうございます。ひかりネット、サポートの木村でございます。",
                  "C: 高橋と申します。インターネットがつながらなくなってしまって。")}


@cache
def _rubric(lang: str):
    from qa_pipeline.rubric import load_rubric

    return load_rubric("call_handling", language=lang)


def judge(criterion: str, *lines: str, lang: str = "ru") -> str:
    from qa_pipeline import nlp
    from qa_pipeline.criteria import CallContext
    from qa_pipeline.scoring import evaluate_criterion

    transcript = dialogue(*OPENING[lang], *lines)
    docs = nlp.parse([u.text for u in transcript.utterances], lang)
    rubric = _rubric(lang)
    return evaluate_criterion(CallContext(transcript, CallMetadata("T"), docs), rubric.criterion(criterion)).verdict


@pytest.mark.parametrize("closing, verdict", [
    ("A: Тогда я запишу замер на субботу, на одиннадцать часов.", PASS),  # sample call R03: «на», not «в»
    ("A: Я запишу замер на субботу на 11 часов.", PASS),  # as Whisper writes the hour
    ("A: Звоню подтвердить бронь на субботу.", PASS),  # R12
    ("A: Мастер приедет к среде, после обеда.", PASS),
    ("A: Курьер приедет до пятницы.", PASS),
    ("A: Записал вас на завтра, на десять утра.", PASS),
    ("A: Готово, номер забронирован.", FAIL),  # R09: the dates were the caller's
    ("A: Мы с вами свяжемся.", FAIL),
    ("A: Запишу вас, когда будет свободное окно.", FAIL),
])
def test_next_step_times_in_any_case(closing, verdict):
    assert judge("next_step_agreed", closing, "C: Хорошо, спасибо.") == verdict


@pytest.mark.parametrize("closing, verdict", [
    ("A: それでは明日の午後にうかがいます。", PASS),  # J04 as Whisper wrote it
    ("A: それでは明日の午後に伺います。", PASS),
    ("A: では、木曜日の十時に事務所へ来てください。", PASS),  # J11
    ("A: では、後ほどご連絡いたします。", FAIL),  # no time
    ("A: 明日の午後は雨だそうです。", FAIL),  # a time, no step
])
def test_japanese_next_steps_as_said(closing, verdict):
    assert judge("next_step_agreed", closing, "C: わかりました。", lang="ja") == verdict


@pytest.mark.parametrize("line, verdict", [
    ("A: Ждите.", FAIL),  # the guide's wrong hold: «Περιμένετε, παρακαλώ» (seeds/003)
    ("A: Ждите, пожалуйста, я посмотрю.", FAIL),
    ("A: Подождите секунду.", FAIL),
    ("A: Ну всё, ждём.", PASS),  # R12: «we look forward to it» shares the lemma of «ждите»
    ("A: Ждём вас в субботу!", PASS),
    ("A: Всё, ждите курьера.", PASS),  # R06: waiting for the courier, no hold
    ("A: Ждите нашего звонка завтра.", PASS),
])
def test_russian_wait_is_wrong_only_as_a_hold(line, verdict):
    assert judge("no_forbidden_phrases", line, "C: Хорошо.") == verdict


def test_an_exact_form_word_matches_that_form_only():
    from qa_pipeline import nlp
    from qa_pipeline.phrases import find_phrases

    docs = nlp.parse(["Ждите.", "Ждём вас.", "Ждал долго."], "ru")
    assert [bool(find_phrases(doc, ("=ждите",))) for doc in docs] == [True, False, False]
    assert [bool(find_phrases(doc, ("ждите",))) for doc in docs] == [True, True, True]  # by lemma
