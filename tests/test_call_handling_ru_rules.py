"""Russian call_handling rules that the sample calls (sample_audio_ru) showed wrong, on text:
time words compared by lemma in any case and after any preposition, as booked times are said."""

from __future__ import annotations

from functools import cache

import pytest

from qa_pipeline.records import FAIL, PASS, CallMetadata

from _scoring_helpers import dialogue

pytest.importorskip("pymorphy3")

OPENING = ("A: Добрый день, компания Светлый дом, меня зовут Ольга. Чем могу помочь?",
           "C: Здравствуйте, хочу поменять окна в квартире.")


@cache
def _rubric():
    from qa_pipeline.rubric import load_rubric

    return load_rubric("call_handling", language="ru")


def judge(criterion: str, *lines: str) -> str:
    from qa_pipeline import nlp
    from qa_pipeline.criteria import CallContext
    from qa_pipeline.scoring import evaluate_criterion

    transcript = dialogue(*OPENING, *lines)
    docs = nlp.parse([u.text for u in transcript.utterances], "ru")
    return evaluate_criterion(CallContext(transcript, CallMetadata("T"), docs), _rubric().criterion(criterion)).verdict


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
