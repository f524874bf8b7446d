"""Detail lines in the call's language: every template the criteria mark has a Russian,
Japanese, Greek and Korean translation with the same placeholders (Babel's extractor run on
the code now, not a list kept by hand), English reads the templates themselves, and calls
scored through `score_transcript` (a Russian and a Japanese sample call, hand-written Greek and
Korean lines) read their details in their language."""

from __future__ import annotations

import re
import string
import threading

import pytest

from qa_pipeline import synth
from qa_pipeline.criteria.i18n import CATALOGUE_LANGUAGES, catalogue_path, extracted, translation
from qa_pipeline.records import AGENT, CUSTOMER, CallMetadata, Transcript, Utterance

SPEAKERS = {"agent": AGENT, "customer": CUSTOMER}
# Quoted words of the call stay as heard; what is outside the quotes is the template's.
QUOTED = {"ru": re.compile(r"«[^»]*»"), "ja": re.compile(r"「[^」]*」")}
ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _catalogue(code: str):
    from babel.messages.pofile import read_po

    with catalogue_path(code).open("rb") as handle:
        return read_po(handle, locale=code)


def _ids(message) -> tuple[str, ...]:
    return message.id if isinstance(message.id, tuple) else (message.id,)


def test_the_code_marks_the_detail_templates():
    ids = {_ids(m)[0] for m in extracted() if m.id}
    assert len(ids) > 80
    assert "agent gave name '{name}' at {time}" in ids  # introduction.py
    assert "agent checked '{said}' at {time}" in ids  # sales/criteria.py
    assert "{reason}; this criterion needs {need}" in ids  # scoring.py


@pytest.mark.parametrize("code", CATALOGUE_LANGUAGES)
def test_every_template_is_translated_with_its_placeholders(code):
    catalogue = _catalogue(code)
    for message in extracted():
        if not message.id:
            continue
        found = catalogue.get(message.id)
        assert found is not None, f"{code}: not in the catalogue (run python -m qa_pipeline.criteria.i18n): {message.id!r}"
        strings = found.string if isinstance(found.string, tuple) else (found.string,)
        assert all(strings) and "fuzzy" not in found.flags, f"{code}: untranslated {message.id!r}"
        for text in strings:
            assert _fields(text) == _fields(_ids(message)[-1]), f"{code}: placeholders differ in {text!r}"
            text.format(**{name: "x" for name in _fields(text)})  # a well-formed template


@pytest.mark.parametrize("code", CATALOGUE_LANGUAGES)
def test_the_catalogue_holds_no_template_the_code_dropped(code):
    used = {_ids(m)[0] for m in extracted() if m.id}
    assert {_ids(m)[0] for m in _catalogue(code) if m.id} <= used


def test_russian_plural_forms():
    ru = translation("ru")
    template = ("agent interrupted the customer {n} time: at {times}", "agent interrupted the customer {n} times: at {times}")
    assert [ru.ngettext(*template, n).format(n=n, times="1.0 s") for n in (1, 3, 5, 21)] == [
        "оператор перебил клиента 1 раз: на 1.0 s", "оператор перебил клиента 3 раза: на 1.0 s",
        "оператор перебил клиента 5 раз: на 1.0 s", "оператор перебил клиента 21 раз: на 1.0 s"]


@pytest.mark.parametrize("code", ["en", "de", "xx"])
def test_other_languages_read_the_english_templates(code):
    assert translation(code).gettext("agent gave name '{name}' at {time}") == "agent gave name '{name}' at {time}"


def test_languages_on_concurrent_threads_keep_their_own_words():
    template = "agent said '{said}' at {time}"
    out: dict[str, set[str]] = {}

    def read(code: str) -> None:
        out[code] = {translation(code).gettext(template) for _ in range(200)}

    threads = [threading.Thread(target=read, args=(code,)) for code in ("en", "ru", "ja")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out == {"en": {template}, "ru": {"оператор сказал «{said}» на {time}"},
                   "ja": {"{time} にオペレーターが「{said}」と言った"}}


def _script_transcript(script: synth.CallScript) -> Transcript:
    """The script's turns one after another (0.1 s a character, 0.6 s apart): the words as written."""
    utterances, t = [], 0.5
    for turn in script.turns:
        end = t + 0.1 * len(turn.text)
        utterances.append(Utterance(SPEAKERS[turn.speaker], round(t, 2), round(end, 2), turn.text))
        t = end + 0.6
    return Transcript(tuple(utterances), duration_s=t + 2.0, channels=2, language=script.language)


@pytest.mark.parametrize(("language", "script", "listening"), [
    ("ru", "R02_courier_slushayu.yaml", "оператор сказал «Слушаю» на "),
    ("ja", "J04_internet_kiiteimasu.yaml", "にオペレーターが「聞いています」と言った"),
])
def test_a_sample_call_reads_its_details_in_its_language(root, language, script, listening):
    from qa_pipeline.rubric import load_rubric
    from qa_pipeline.scoring import score_transcript

    call = synth.load_script(root / "scripts" / "calls" / language / script)
    card = score_transcript(_script_transcript(call), load_rubric("call_handling", language=language),
                            CallMetadata(call.call_id, direction=call.direction), f"{call.call_id}.flac")
    by_id = {c.id: c for c in card.criteria}
    assert listening in by_id["no_im_listening"].detail
    for result in card.criteria:
        outside = QUOTED[language].sub("", result.detail)
        assert result.detail and not ENGLISH_WORD.search(outside), f"{result.id}: {result.detail}"


def test_a_cut_off_russian_call_says_why_in_russian():
    from qa_pipeline.rubric import load_rubric
    from qa_pipeline.scoring import score_transcript

    utterances = (Utterance(AGENT, 0.5, 4.0, "Добрый день, клиника Улыбка, администратор Дмитрий."),
                  Utterance(CUSTOMER, 4.5, 7.0, "Здравствуйте, я хочу записаться."),
                  Utterance(AGENT, 7.5, 10.0, "Конечно, на какой день вам"))
    card = score_transcript(Transcript(utterances, duration_s=10.2, channels=2, language="ru"),
                            load_rubric("etiquette", language="ru"), CallMetadata("R"), "R.flac")
    assert any(w.startswith("запись оборвана: последняя реплика обрывается на полуслове ('Конечно, на какой день вам')")
               for w in card.warnings), card.warnings
    ended = [c for c in card.criteria if c.verdict == "not_applicable"]
    assert ended and all(c.detail.endswith("; для этого критерия нужно: конец звонка") for c in ended), ended


@pytest.mark.parametrize(("language", "line", "expected"), [
    ("el", "A: Σας ακούω.", "ο εκπρόσωπος είπε «Σας ακούω» στα 0.5 s"),
    ("ko", "A: 네, 듣고 있습니다.", "상담원이 0.8 s에 '듣고 있'라고 말함"),
])
def test_greek_and_korean_details(language, line, expected):
    from qa_pipeline.rubric import load_rubric
    from qa_pipeline.scoring import score_transcript

    from _scoring_helpers import dialogue

    card = score_transcript(dialogue(line, "C: ..."), load_rubric("etiquette", language=language), CallMetadata("T"), "T.flac")
    assert {c.id: c.detail for c in card.criteria}["no_im_listening"] == expected
