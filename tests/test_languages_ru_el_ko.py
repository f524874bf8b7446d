"""Russian, Greek and Korean rubrics on text: the real language pipelines (pymorphy3,
spacy.blank("el"), kiwipiepy), the real rubric loader and the real criteria.

Each phrase list is checked two ways: every entry matches its own words (so no entry is
dead because of how the language splits or lemmatises it), and hand-written calls with the
right and the wrong phrasing, a negated and a quoted one, get the verdict a supervisor
would give.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache

import pytest

from qa_pipeline.records import FAIL, PASS, CallMetadata

from _scoring_helpers import dialogue, timed

pytest.importorskip("pymorphy3")
pytest.importorskip("kiwipiepy")

VARIANTS = [("ru", "etiquette"), ("ru", "call_handling"), ("el", "etiquette"), ("el", "call_handling"),
            ("ko", "etiquette"), ("ko", "call_handling")]
# Parameters whose entries the criteria look for with the phrase matcher (qa_pipeline.phrases).
PHRASE_PARAMS = ("greetings", "company_cues", "name_requests", "phrases", "embedded_question_cues", "question_kinds",
                 "wrong_phrasings", "hold_phrases", "permission_phrases", "duration_phrases", "thanks_phrases",
                 "step_phrases", "time_phrases", "vague_phrases", "contact_phrases", "request_cues", "offer_phrases",
                 "outbound_phrases", "acknowledgements")
# A word of each language for "*" in a phrase ("хорошего * дня").
ANY_WORD = {"ru": "пять", "el": "πέντε", "ko": "오늘"}


@cache
def rubric(lang: str, rubric_id: str = "etiquette"):
    from qa_pipeline.rubric import load_rubric

    return load_rubric(rubric_id, language=lang)


def phrase_entries(lang: str, rubric_id: str) -> list[tuple[str, str, str]]:
    """(criterion id, parameter, phrase) for every phrase of the rubric's phrase lists."""
    out = []
    for config in rubric(lang, rubric_id).criteria:
        params = config.params if isinstance(config.params, dict) else vars(config.params)
        for name in PHRASE_PARAMS:
            value = params.get(name)
            lists = value.values() if isinstance(value, Mapping) else [value] if value else []
            out += [(config.id, name, str(p)) for phrases in lists for p in phrases]
    return out


def judge(lang: str, criterion: str, *lines: str, rubric_id: str = "etiquette", metadata: CallMetadata | None = None,
          transcript=None):
    """One criterion's verdict on a hand-written call, parsed in the rubric's language."""
    from qa_pipeline import nlp
    from qa_pipeline.criteria import CallContext
    from qa_pipeline.scoring import evaluate_criterion

    r = rubric(lang, rubric_id)
    transcript = transcript or dialogue(*lines)
    docs = nlp.parse([u.text for u in transcript.utterances], r.language)
    ctx = CallContext(transcript, metadata or CallMetadata("T"), docs)
    return evaluate_criterion(ctx, r.criterion(criterion))


@pytest.mark.parametrize(("lang", "rubric_id"), VARIANTS)
def test_every_phrase_matches_its_own_words(lang, rubric_id):
    from qa_pipeline import nlp

    entries = phrase_entries(lang, rubric_id)
    assert len(entries) > 40
    texts = [re.sub(r"\s*\.\.\.\s*", " ", p).replace("*", ANY_WORD[lang]).strip() for _, _, p in entries]
    docs = nlp.parse(texts, lang)
    dead = [f"{cid}.{param}: {p!r}" for (cid, param, p), doc in zip(entries, docs)
            if not nlp.find_phrases(doc, (p,))]
    assert dead == []


def test_rubric_variants_keep_the_criterion_ids_and_are_worded_in_their_language():
    for lang, rubric_id in VARIANTS:
        variant, base = rubric(lang, rubric_id), rubric("en", rubric_id)
        assert [c.id for c in variant.criteria] == [c.id for c in base.criteria]
        assert variant.language == lang
        titles = [c.title for c in variant.criteria] + [c.failed_title for c in variant.criteria]
        assert all(t and not re.search(r"[A-Za-z]{3}", t) for t in titles), titles


# --- Russian ----------------------------------------------------------------------------

RU_LISTENING = [
    (["A: Слушаю."], FAIL),
    (["A: Я вас слушаю."], FAIL),
    (["A: Слушаю вас!"], FAIL),
    (["A: Алло, компания «Ромашка», я вас внимательно слушаю."], FAIL),
    (["A: Добрый день, я вся внимание."], FAIL),
    (["A: Добрый день, компания «Ромашка», меня зовут Анна, чем я могу вам помочь?"], PASS),
    (["A: Я не слушаю чужие разговоры, не волнуйтесь."], PASS),  # negated
    (["A: Фраза «слушаю» звучит невежливо, поэтому я говорю «добрый день»."], PASS),  # quoted
    (["A: Не говорите клиентам «слушаю»."], PASS),  # negated verb of saying, quoted
    (["A: Я слушал вашу запись и перезваниваю."], PASS),  # an allowed continuation
]


@pytest.mark.parametrize(("lines", "verdict"), RU_LISTENING)
def test_ru_no_im_listening(lines, verdict):
    assert judge("ru", "no_im_listening", *lines).verdict == verdict


def test_ru_one_lemma_entry_covers_every_form_of_slushat():
    from qa_pipeline import nlp

    docs = nlp.parse(["Слушаю", "Я вас слушаю", "Слушаю вас", "мы вас слушаем"], "ru")
    assert [[s.text.lower() for s in nlp.find_acts(d, ("слушаю",))] for d in docs] == \
        [["слушаю"], ["слушаю"], ["слушаю"], ["слушаем"]]
    negated, quoted = nlp.parse(["Я вас не слушаю.", "Есть такая фраза «слушаю»."], "ru")
    assert nlp.not_performed(nlp.find_phrases(negated, ("слушаю",))[0]) == "negated"
    assert nlp.not_performed(nlp.find_phrases(quoted, ("слушаю",))[0]) == "quoted"


@pytest.mark.parametrize(("lines", "verdict"), [
    (["A: Спасибо за звонок, всего доброго!"], PASS),
    (["C: Спасибо.", "A: Хорошего вам дня, до свидания."], PASS),
    (["A: Хорошо, ждите."], FAIL),
    (["A: Пока не могу сказать точно, уточню и перезвоню."], FAIL),  # "пока" as "for now"
    (["A: Я не говорю «до свидания», мы ещё созвонимся."], FAIL),  # negated and quoted
])
def test_ru_said_goodbye(lines, verdict):
    assert judge("ru", "said_goodbye", *lines).verdict == verdict


@pytest.mark.parametrize(("lines", "verdict"), [
    (["A: Добрый день, компания «Ромашка», меня зовут Анна."], PASS),
    (["A: Здравствуйте, с вами говорит Анна, чем могу помочь?"], PASS),
    (["A: Добрый день, вам отвечает Ольга."], PASS),
    (["A: Алло, компания «Ромашка», слушаю."], FAIL),
    (["A: Да?"], FAIL),
])
def test_ru_self_introduction(lines, verdict):
    assert judge("ru", "self_introduction", *lines).verdict == verdict


@pytest.mark.parametrize(("lines", "verdict"), [
    (["C: Мне нужен диван.", "A: Какую мебель вы хотите заказать?", "C: Диван.", "A: Куда нужно доставить?"], PASS),
    (["C: Мне нужен диван.", "A: Подскажите, для какой комнаты вы выбираете диван?", "C: Для гостиной.",
      "A: А какой размер вам подойдёт?"], PASS),
    (["A: Чем я могу вам помочь?", "C: Хочу диван.", "A: Остались ли у вас ещё вопросы?"], FAIL),
    (["A: Чем могу быть полезна?", "C: Мне нужен диван.", "A: Хорошо, записала."], FAIL),
])
def test_ru_asked_questions(lines, verdict):
    assert judge("ru", "asked_questions", *lines).verdict == verdict


def test_ru_a_backchannel_over_the_caller_is_no_interruption_and_a_sentence_is():
    caller = ("C", 0.0, 6.0, "Я хотел узнать про доставку дивана, потому что у нас ремонт и нужно успеть к пятнице.")
    backchannel = timed(caller, ("A", 2.0, 2.6, "Угу."), ("A", 6.5, 8.0, "Понятно, давайте уточним адрес."))
    interrupted = timed(caller, ("A", 2.0, 4.5, "Подождите, доставка у нас только по четвергам, это не подходит."))
    assert judge("ru", "no_interrupting", transcript=backchannel).verdict == PASS
    assert judge("ru", "no_interrupting", transcript=interrupted).verdict == FAIL


@pytest.mark.parametrize(("lines", "verdict"), [
    (["A: Я уточню это для вас."], PASS),
    (["A: Давайте я запишу ваши данные, и мы перезвоним вам в назначенное время."], PASS),
    (["A: Я не знаю."], FAIL),
    (["A: Перезвоните позже."], FAIL),
    (["A: Все на обеде, никого нет."], FAIL),
    (["A: Что вам нужно?"], FAIL),
    (["A: Кто это говорит?"], FAIL),
    (["A: Мы не можем этого сделать."], FAIL),
])
def test_ru_no_forbidden_phrases(lines, verdict):
    assert judge("ru", "no_forbidden_phrases", *lines, rubric_id="call_handling").verdict == verdict


@pytest.mark.parametrize(("rows", "verdict"), [
    ([("A", 0.5, 5.0, "Это займёт не больше минуты, вы можете подождать?"), ("C", 5.3, 6.0, "Да."),
      ("A", 20.0, 23.0, "Спасибо за ожидание, я всё проверила."), ("C", 23.5, 24.5, "Хорошо, спасибо.")], PASS),
    ([("A", 0.5, 2.0, "Подождите."), ("C", 2.2, 2.6, "Ага."), ("A", 20.0, 22.0, "Так, я всё проверила."),
      ("C", 22.5, 23.5, "Хорошо, спасибо.")], FAIL),
])
def test_ru_hold_etiquette(rows, verdict):
    assert judge("ru", "hold_etiquette", transcript=timed(*rows), rubric_id="call_handling").verdict == verdict


@pytest.mark.parametrize(("criterion", "right", "wrong"), [
    ("next_step_agreed", "A: Мы перезвоним вам завтра в десять часов.", "A: Мы с вами свяжемся."),
    ("contact_details_asked", "A: Оставьте, пожалуйста, ваш номер телефона.", "A: Хорошо, договорились."),
    ("thanked_for_call", "A: Спасибо за звонок, до свидания!", "A: До свидания."),
    ("offered_further_help", "A: Могу ли я ещё чем-то вам помочь?", "A: До свидания."),
])
def test_ru_call_handling_right_and_wrong(criterion, right, wrong):
    opening = ("A: Добрый день, меня зовут Анна.", "C: Здравствуйте, я по поводу доставки дивана.")
    assert judge("ru", criterion, *opening, right, rubric_id="call_handling").verdict == PASS
    assert judge("ru", criterion, *opening, wrong, rubric_id="call_handling").verdict == FAIL


def test_ru_acknowledged_caller():
    story = ("C: Я заказал у вас диван две недели назад, его должны были привезти в пятницу, но никто не приехал "
             "и никто не позвонил, а я весь день ждал дома.")
    right = judge("ru", "acknowledged_caller", "A: Добрый день, меня зовут Анна.", story,
                  "A: Понимаю, мне очень жаль, давайте разберёмся.", rubric_id="call_handling")
    wrong = judge("ru", "acknowledged_caller", "A: Добрый день, меня зовут Анна.", story,
                  "A: Назовите номер заказа.", rubric_id="call_handling")
    assert (right.verdict, wrong.verdict) == (PASS, FAIL)


# --- Greek (experimental) -----------------------------------------------------------------

@pytest.mark.parametrize(("criterion", "lines", "verdict"), [
    ("no_im_listening", ["A: Εμπρός, σας ακούω."], FAIL),
    ("no_im_listening", ["A: Είμαι όλος αυτιά."], FAIL),
    ("no_im_listening", ["A: Καλημέρα, πώς μπορώ να σας βοηθήσω;"], PASS),
    ("no_im_listening", ["A: Δεν σας ακούω καλά, η γραμμή έχει θόρυβο."], PASS),  # negated
    ("no_im_listening", ["A: Η φράση «σας ακούω» δεν είναι ευγενική."], PASS),  # quoted
    ("said_goodbye", ["A: Ευχαριστούμε για την κλήση, καλή συνέχεια!"], PASS),
    ("said_goodbye", ["A: Εντάξει."], FAIL),
    ("self_introduction", ["A: Καλημέρα, με λένε Άννα."], PASS),
    ("self_introduction", ["A: Ναι;"], FAIL),
    ("asked_questions", ["C: Θέλω έναν καναπέ.", "A: Τι χρώμα σας ενδιαφέρει;", "C: Γκρι.", "A: Για ποιο δωμάτιο;"], PASS),
    ("asked_questions", ["A: Πώς μπορώ να σας βοηθήσω;", "C: Θέλω έναν καναπέ.", "A: Κάτι άλλο;"], FAIL),
])
def test_el_phrasings(criterion, lines, verdict):
    assert judge("el", criterion, *lines).verdict == verdict


# --- Korean (experimental) ----------------------------------------------------------------

@pytest.mark.parametrize(("criterion", "lines", "verdict"), [
    ("no_im_listening", ["A: 네, 듣고 있습니다."], FAIL),
    ("no_im_listening", ["A: 네, 잘 듣고 있어요."], FAIL),
    ("no_im_listening", ["A: 안녕하세요, 무엇을 도와드릴까요?"], PASS),
    ("no_im_listening", ["A: 지금은 듣고 있지 않아요."], PASS),  # negated after the phrase
    ("no_im_listening", ["A: \"듣고 있습니다\"라고 말하지 마세요."], PASS),  # quoted
    ("said_goodbye", ["A: 전화 주셔서 감사합니다. 좋은 하루 되세요."], PASS),
    ("said_goodbye", ["A: 네."], FAIL),
    ("self_introduction", ["A: 안녕하세요, 상담원 박지민입니다."], PASS),
    ("self_introduction", ["A: 여보세요?"], FAIL),
    ("asked_questions", ["C: 소파를 사고 싶어요.", "A: 어떤 색을 찾으세요?", "C: 회색이요.", "A: 어느 방에 두실 건가요?"], PASS),
    ("asked_questions", ["A: 무엇을 도와드릴까요?", "C: 소파요.", "A: 더 궁금하신 점 있으세요?"], FAIL),
])
def test_ko_phrasings(criterion, lines, verdict):
    assert judge("ko", criterion, *lines).verdict == verdict


@pytest.mark.parametrize("address", ["Николай, подскажите, какой диван вы выбрали?",
                                     "Хорошо, Николаю мы перезвоним завтра.",
                                     "Для Николая у нас есть скидка.",
                                     "Спасибо, Николай Петрович, всего доброго."])
def test_ru_name_use_matches_the_callers_name_in_any_case_form(address):
    said = judge("ru", "name_use", "A: Добрый день, меня зовут Анна.", "C: Здравствуйте, меня зовут Николай.",
                 f"A: {address}")
    assert said.verdict == PASS, said.detail


@pytest.mark.parametrize(("customer_name", "address", "verdict"), [
    ("Николай Петров", "Николаю мы перезвоним завтра.", PASS),
    ("Анна Смирнова", "Анне мы перезвоним завтра.", PASS),
    ("Анна Смирнова", "Мы перезвоним завтра.", FAIL),
])
def test_ru_name_use_with_the_name_from_metadata(customer_name, address, verdict):
    metadata = CallMetadata("T", customer_name=customer_name)
    said = judge("ru", "name_use", "A: Добрый день, меня зовут Ольга.", "C: Здравствуйте.", f"A: {address}",
                 metadata=metadata)
    assert said.verdict == verdict, said.detail


def test_ru_name_use_fails_when_the_agent_never_uses_the_name():
    said = judge("ru", "name_use", "A: Добрый день, как я могу к вам обращаться?", "C: Меня зовут Николай.",
                 "A: Хорошо, какой диван вы выбрали?")
    assert said.verdict == FAIL


@pytest.mark.parametrize(("lines", "verdict"), [
    (["C: Сколько стоит диван?", "A: Доставка стоит тысяча двести рублей."], FAIL),
    (["C: Сколько стоит диван?", "A: А для какой комнаты вы его выбираете?", "C: Для гостиной.",
      "A: Тогда подойдёт угловой, он стоит сорок тысяч рублей."], PASS),
    (["C: Здравствуйте.", "A: Добрый день, чем могу помочь?"], PASS),
])
def test_ru_no_price_before_need(lines, verdict):
    assert judge("ru", "no_price_before_need", *lines).verdict == verdict


@pytest.mark.parametrize(("lang", "criterion", "line", "verdict"), [
    ("el", "no_forbidden_phrases", "A: Θα σας το διευκρινίσω αμέσως.", PASS),
    ("el", "no_forbidden_phrases", "A: Δεν ξέρω.", FAIL),
    ("el", "no_forbidden_phrases", "A: Καλέστε ξανά αργότερα.", FAIL),
    ("el", "no_forbidden_phrases", "A: Τι χρειάζεστε;", FAIL),
    ("el", "thanked_for_call", "A: Ευχαριστούμε που καλέσατε, καλή συνέχεια.", PASS),
    ("el", "thanked_for_call", "A: Αντίο.", FAIL),
    ("el", "offered_further_help", "A: Μπορώ να σας βοηθήσω σε κάτι άλλο;", PASS),
    ("el", "offered_further_help", "A: Αντίο.", FAIL),
    ("ko", "no_forbidden_phrases", "A: 확인해서 알려 드리겠습니다.", PASS),
    ("ko", "no_forbidden_phrases", "A: 모르겠습니다.", FAIL),
    ("ko", "no_forbidden_phrases", "A: 나중에 다시 전화하세요.", FAIL),
    ("ko", "no_forbidden_phrases", "A: 누구세요?", FAIL),
    ("ko", "thanked_for_call", "A: 전화 주셔서 감사합니다.", PASS),
    ("ko", "thanked_for_call", "A: 안녕히 계세요.", FAIL),
    ("ko", "offered_further_help", "A: 더 도와드릴 일이 있을까요?", PASS),
    ("ko", "offered_further_help", "A: 안녕히 계세요.", FAIL),
])
def test_el_ko_call_handling_right_and_wrong(lang, criterion, line, verdict):
    opening = {"el": ("A: Καλημέρα, με λένε Άννα.", "C: Καλημέρα, θέλω να ρωτήσω για μια παραγγελία."),
               "ko": ("A: 안녕하세요, 상담원 박지민입니다.", "C: 안녕하세요, 주문 문의하려고요.")}[lang]
    assert judge(lang, criterion, *opening, line, rubric_id="call_handling").verdict == verdict


@pytest.mark.parametrize(("text", "questions"), [
    ("Сколько вас будет гостей.", 1),  # Whisper wrote a full stop
    ("Понимаю, сколько гигабайт вы используете в месяц.", 1),  # the question after a comma
    ("Есть ли отёк или температура.", 1),  # a particle second
    ("Ну хорошо, когда заканчивается ваш полис.", 1),  # after leading words
    ("Хорошо, банкетное меню стоит три тысячи рублей.", 0),
    ("Назовите, пожалуйста, ваш адрес.", 0),  # a request, not a question
])
def test_russian_questions_without_a_question_mark(text, questions):
    from qa_pipeline import nlp

    assert len(nlp.question_sentences(nlp.parse([text], "ru")[0])) == questions


def test_greek_question_led_by_its_question_word():
    from qa_pipeline import nlp

    asked, told = nlp.parse(["Πόσα άτομα θα είστε.", "Θα είμαστε τέσσερα άτομα."], "el")
    assert (len(nlp.question_sentences(asked)), len(nlp.question_sentences(told))) == (1, 0)
