"""Redaction in Russian, Greek, Japanese and Korean: phone and card numbers written as digits
or read out as number words, dates of birth and emails, through the real Presidio redactor."""

from __future__ import annotations

import re

import pytest

from qa_pipeline.records import Transcript, Utterance

pytest.importorskip("presidio_analyzer")
pytest.importorskip("number_parser")

CARD = "4539 1488 0343 6467"  # passes the Luhn check

# (language, text with a phone number and a card number, the phone's digits)
PHONE_AND_CARD = [
    ("ru", "Мой номер телефона восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь, "
           f"а номер карты {CARD}.", "89161234567"),
    ("ru", "Телефон +7 (916) 123-45-67, карта четыре пять три девять один четыре восемь восемь ноль три "
           "четыре три шесть четыре шесть семь.", "79161234567"),
    ("el", f"Το κινητό μου είναι έξι εννέα τέσσερα πέντε ένα δύο τρία τέσσερα πέντε έξι και η κάρτα {CARD}.",
     "6945123456"),
    ("el", "Το τηλέφωνό μου είναι 210 123 4567 και ο αριθμός κάρτας τέσσερα πέντε τρία εννέα ένα τέσσερα οκτώ οκτώ "
           "μηδέν τρία τέσσερα τρία έξι τέσσερα έξι επτά.", "2101234567"),
    ("ja", f"電話番号は〇九〇の一二三四の五六七八で、カード番号は{CARD}です。", "09012345678"),
    ("ja", "でんわばんごうはぜろきゅうぜろ、いちにーさんよん、ごーろくななはちで、"
           "カードは４５３９－１４８８－０３４３－６４６７です。", "09012345678"),
    ("ko", "전화번호는 공일공에 일이삼사에 오육칠팔이고 카드번호는 4539-1488-0343-6467입니다.", "01012345678"),
    ("ko", "연락처는 010-1234-5678이고 카드 번호는 사오삼구 일사팔팔 공삼사삼 육사육칠입니다.", "01012345678"),
]


def _redact(text: str) -> str:
    from qa_pipeline.redaction.scorecard import redact_text

    return redact_text(text)


def _digits(text: str) -> str:
    from qa_pipeline.redaction.spoken import digit_runs, tokenize

    return "".join(r.digits for r in digit_runs(tokenize(text)))


@pytest.mark.parametrize(("lang", "text", "phone"), PHONE_AND_CARD, ids=[f"{c[0]}-{k}" for k, c in enumerate(PHONE_AND_CARD)])
def test_a_phone_and_a_card_number_are_redacted_in_each_language(lang, text, phone):
    assert phone in _digits(text), "the number words are read as the phone's digits"
    red = _redact(text)
    assert "[PHONE_NUMBER]" in red and "[CARD_NUMBER]" in red, red
    assert not re.search(r"\d{3}", red), red
    assert _digits(red) == "", f"digits or number words left: {red}"


@pytest.mark.parametrize(("text", "placeholder"), [
    ("Дата рождения пятого марта тысяча девятьсот восемьдесят второго года.", "[DATE_OF_BIRTH]"),
    ("Я родилась 5 марта 1982 года.", "[DATE_OF_BIRTH]"),
    ("Ημερομηνία γέννησης 5 Μαρτίου 1982.", "[DATE_OF_BIRTH]"),
    ("생년월일은 1982년 3월 5일입니다.", "[DATE_OF_BIRTH]"),
    ("生年月日は1982年3月5日です。", "[DATE_OF_BIRTH]"),
    ("Моя почта ivan.petrov@mail.ru, запишите.", "[EMAIL]"),
    ("Το email μου είναι maria.p@gmail.com", "[EMAIL]"),
    ("Моя почта иван точка петров собака мейл точка ру, запишите.", "[EMAIL]"),
    ("Пишите на ivan.petrov собака yandex точка ру", "[EMAIL]"),
    ("Το email μου είναι μαρία τελεία παπά παπάκι gmail τελεία com", "[EMAIL]"),
    ("номер договора 4 7 1 9 2 6 3 8", "[ACCOUNT_NUMBER]"),
])
def test_dates_of_birth_emails_and_account_numbers(text, placeholder):
    assert placeholder in _redact(text)


@pytest.mark.parametrize("text", [
    "Стоимость тысяча двести рублей, приходите в пять часов.",
    "Это будет стоить двадцать евро в месяц.",
    "Η τιμή είναι είκοσι ευρώ το μήνα.",
    "이 카드는 사용할 수 없어요. 오늘 오후 세 시에 오세요.",
    "一人で三時に来てください。",
    "Меня зовут Анна, чем я могу вам помочь?",
    "У меня дома собака, а это точка зрения мужа.",
])
def test_prices_times_and_ordinary_words_survive(text):
    assert _redact(text) == text


@pytest.mark.parametrize(("values", "numbers"), [
    ([8, 900, 16, 100, 20, 3, 40, 5, 60, 7], [[0], [1, 2], [3, 4, 5], [6, 7], [8, 9]]),
    ([0, 1, 0], [[0], [1], [2]]),
    ([9, 100, 10, 6], [[0, 1, 2, 3]]),  # 구백십육 = 916
    ([1000, 900, 80], [[0, 1, 2]]),
])
def test_number_words_split_into_the_numbers_said(values, numbers):
    from qa_pipeline.redaction.number_words import group_digits, split_numbers

    assert split_numbers(values) == numbers
    assert "".join(group_digits(values, g) for g in numbers) in ("8916123456" + "7", "010", "916", "1980")


def test_a_number_split_across_two_utterances_is_one_phone_number():
    from qa_pipeline.redaction import redactor

    utterances = (
        Utterance("agent", 1.0, 3.0, "Подскажите, пожалуйста, ваш номер телефона?", channel=0),
        Utterance("customer", 3.5, 6.0, "Восемь девятьсот шестнадцать", channel=1),
        Utterance("customer", 6.4, 9.0, "сто двадцать три сорок пять шестьдесят семь.", channel=1),
    )
    red = redactor().redact_transcript(Transcript(utterances=utterances, duration_s=10.0, channels=2))
    texts = [u.text for u in red.transcript.utterances]
    assert "[PHONE_NUMBER]" in texts[1] and "[PHONE_NUMBER]" in texts[2], texts
    assert texts[0] == utterances[0].text
