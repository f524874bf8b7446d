"""The card's warnings in the call's language: the speech stage writes them in English (the
transcript keeps them so), scoring puts them on a Japanese or Russian card in that language
(`criteria.i18n.card_text`), and English cards read exactly as before.

The English strings below are what the code wrote before the templates were marked (the
same inputs through the old f-strings gave the same 47 warnings, byte for byte)."""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from qa_pipeline.catalogues import KEYWORDS
from qa_pipeline.criteria.i18n import CATALOGUE_LANGUAGES, DETAILS, WARNING_SOURCES, card_text, extracted, translation
from qa_pipeline.records import AGENT, CUSTOMER, MONO_WARNING, UNKNOWN, CallMetadata, Transcript, Utterance
from qa_pipeline.rubric import load_rubric
from qa_pipeline.scoring import ROLES_UNKNOWN_WARNING, score_transcript
from qa_pipeline.speech import asr, damage, presence, speakers
from qa_pipeline.speech.audio import load_audio
from qa_pipeline.speech.prelude import NO_PRELUDE, Prelude

# Words the translations keep as they are: units, option names, ids and program names.
KEPT = {"s", "unknown", "IVR", "agent", "channel", "language", "senko", "torch", "pip", "install", "qa", "pipeline",
        "diarize", "auto"}
ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")
PACKAGE = Path(__file__).resolve().parents[1] / "qa_pipeline"


def _english_words(text: str) -> set[str]:
    return set(ENGLISH_WORD.findall(text)) - KEPT


def _warning_ids(code: str = "ru") -> tuple[str, ...]:
    return DETAILS.msgids(code, WARNING_SOURCES)


ENGLISH = [
    (lambda: asr.time_limit_warning(41.53, 60.0),
     "speech recognition stopped at 41.5 s of the recording: decoding took longer than the 60 s limit (audio the "
     "model cannot follow?); the rest is not transcribed and criteria judging it may be wrong"),
    (lambda: asr.time_limit_warning(123.456, 120.25),
     "speech recognition stopped at 123.5 s of the recording: decoding took longer than the 120.25 s limit (audio the "
     "model cannot follow?); the rest is not transcribed and criteria judging it may be wrong"),
    (lambda: asr._detection_warnings("ja", 0.5)[0],
     "language detected as 'ja' with probability 0.50 (below 0.7): the call may be in another language; set it with "
     "--language or the metadata's language column"),
    (lambda: asr._prelude_notes([Prelude(3.24, 2.6), NO_PRELUDE], {0: AGENT, 1: CUSTOMER})[0],
     "agent channel starts with 3.2 s of queue music or recorded prompts (3 s of music); the call was transcribed "
     "from 3.2 s"),
    (lambda: asr._prelude_notes([NO_PRELUDE, Prelude(12.05, 11.5)])[0],
     "the channel starts with 12.1 s of queue music or recorded prompts (12 s of music); the call was transcribed "
     "from 12.1 s"),
    (lambda: damage.Truncation(63.2, 41.0).warning,
     "recording is truncated: the header promises 63.2 s, 41.0 s decoded"),
    (lambda: damage.full_scale(np.concatenate([np.zeros((1000, 2)), np.full((50, 2), 1.7)]).astype(np.float32),
                               "FLOAT")[1],
     "clipping: 4.8 % of samples are beyond full scale (peak 1.7 times full scale); the audio was scaled down to full "
     "scale for analysis"),
    (lambda: presence.empty_channel_reason(0, AGENT)[1],
     "the agent's channel, channel 0 (left), carries no speech: the agent's leg may not have been recorded, or, with "
     "a fixed --agent-channel 0|1, the agent may be on the other channel (the default, auto, picks the channel from "
     "what is said)"),
    (lambda: presence.empty_channel_reason(1, CUSTOMER)[1],
     "the customer's channel, channel 1 (right), carries no speech (not recorded?): criteria that need the "
     "customer's words are not applicable"),
    (lambda: ROLES_UNKNOWN_WARNING, "speaker roles unknown: only criteria that need no roles were scored"),
    (lambda: speakers.NO_AGENT_WARNING,
     "no speaker sounds like an agent (no greeting, offer of help or question for the caller's name): roles are "
     "unknown, so criteria about the agent are not scored"),
]


@pytest.mark.parametrize(("produce", "expected"), ENGLISH)
def test_english_warnings_read_as_before(produce, expected):
    warning = produce()
    assert warning == expected
    assert card_text(warning, "en") == warning


@pytest.mark.parametrize("code", CATALOGUE_LANGUAGES)
def test_every_warning_template_reads_back_in_each_language(code):
    """A warning formatted from any marked template comes out as that template's translation
    with the same values: no template swallows another's text."""
    translate = translation(code).gettext
    for msgid in _warning_ids(code):
        values = {name: f"<{name}>" for _, name, _, _ in string.Formatter().parse(msgid) if name}
        english = msgid.format(**values)
        assert card_text(english, code) == translate(msgid).format(**values), msgid
        assert card_text(english, "en") == english


@pytest.mark.parametrize(("code", "expected"), [
    ("ja", "お客様側のチャンネル 1（右）に発話がない（録音されていない？）：お客様の発話を必要とする項目は対象外"),
    ("ru", "в канале клиента, канал 1 (правый), нет речи (не записан?): критерии, которым нужна речь клиента, неприменимы"),
])
def test_a_reason_inside_a_warning_is_translated_too(code, expected):
    assert card_text(presence.empty_channel_reason(1, CUSTOMER)[1], code) == expected


@pytest.mark.parametrize("text", [
    "録音が途中で切れている：ヘッダーは 6.0 s と示すが、デコードできたのは 3.0 s",  # already Japanese (a rescored card)
    "redacted audio skipped: disk full",  # no catalogue holds it
    "recording is truncated: the header promises",  # a template's words, not the whole of it
])
def test_a_text_no_template_makes_is_left_as_it_is(text):
    assert card_text(text, "ja") == text


SAID = {"ja": ("お電話ありがとうございます。ABC 商事の山田でございます。", "ご注文の件でございますね。"),
        "ru": ("Добрый день, компания Альфа, меня зовут Дмитрий.", "Чем могу помочь?")}


def _cut_recording(folder: Path) -> Path:
    """A real stereo WAV cut to half its length: the decoder finds it truncated."""
    rate = 8000
    t = np.arange(6 * rate) / rate
    path = folder / "cut.wav"
    sf.write(path, np.stack([0.3 * np.sin(2 * np.pi * 440 * t), 0.2 * np.sin(2 * np.pi * 660 * t)], axis=1), rate,
             subtype="PCM_16")
    payload = path.read_bytes()
    path.write_bytes(payload[: len(payload) // 2])
    return path


def _agent_only_call(audio, code: str) -> Transcript:
    """What the speech stage gives for this recording: the agent speaks on channel 0, the
    customer's channel is silent, decoding hit its time limit; the presence check names the silent channel."""
    first, second = SAID[code]
    utterances = (Utterance(AGENT, 0.2, 1.2, first, channel=0), Utterance(AGENT, 1.5, 2.4, second, channel=0))
    heard = Transcript(utterances, duration_s=audio.duration_s, channels=2, language=code,
                       warnings=(*audio.warnings, asr.time_limit_warning(2.5, 2.0)), missing=dict(audio.missing))
    return presence.check_speech(heard, audio)


@pytest.mark.parametrize(("code", "truncated"), [
    ("ja", "録音が途中で切れている：ヘッダーは 6.0 s と示すが、デコードできたのは 3.0 s"),
    ("ru", "запись обрезана: заголовок обещает 6.0 s, декодировано 3.0 s"),
])
def test_a_card_reads_its_warnings_and_reasons_in_the_calls_language(tmp_path, code, truncated):
    audio = load_audio(_cut_recording(tmp_path))
    transcript = _agent_only_call(audio, code)
    assert len(transcript.warnings) == 3 and all(w.isascii() for w in transcript.warnings)  # kept in English
    card = score_transcript(transcript, load_rubric("etiquette", language=code), CallMetadata("X"), "cut.wav")
    assert card.warnings[0] == truncated
    assert card.warnings == tuple(card_text(w, code) for w in transcript.warnings)
    for warning in card.warnings:
        assert not _english_words(warning), warning
    unscored = [c for c in card.criteria if c.verdict == "not_applicable"]
    assert unscored
    for result in unscored:
        assert not _english_words(result.detail), (result.id, result.detail)
    assert any(truncated in c.detail for c in unscored)


def test_the_same_call_in_english_keeps_its_warnings_byte_for_byte(tmp_path):
    audio = load_audio(_cut_recording(tmp_path))
    transcript = _agent_only_call(audio, "ru")
    card = score_transcript(transcript, load_rubric("etiquette"), CallMetadata("X"), "cut.wav")
    assert card.warnings == transcript.warnings
    assert card.warnings[0] == "recording is truncated: the header promises 6.0 s, 3.0 s decoded"
    assert card.warnings[2] == presence.empty_channel_reason(1, CUSTOMER)[1]


@pytest.mark.parametrize(("code", "expected"), [
    ("ja", ("モノラル録音：オペレーターとお客様が一つのチャンネルを共有しているため、"
             "話者の役割は分からず、すべての発話は「unknown」とされる",
            "話者の役割が不明：役割を必要としない項目だけを採点した")),
    ("ru", ("моно-запись: оператор и клиент в одном канале, поэтому роли говорящих недоступны, "
            "и все реплики помечены как «unknown»",
            "роли говорящих неизвестны: оценены только критерии, которым роли не нужны")),
    ("en", (MONO_WARNING, ROLES_UNKNOWN_WARNING)),
])
def test_a_mono_card_says_why_roles_are_unknown_in_its_language(code, expected):
    first, second = SAID.get(code, ("Good morning, this is Anna.", "How can I help?"))
    transcript = Transcript((Utterance(UNKNOWN, 0.2, 1.2, first), Utterance(UNKNOWN, 1.5, 2.4, second)),
                            duration_s=6.0, channels=1, roles_known=False, warnings=(MONO_WARNING,), language=code)
    card = score_transcript(transcript, load_rubric("etiquette", language=code), CallMetadata("M"), "m.wav")
    assert card.warnings == expected


# --- Every English warning the lower stages write is marked: an `ast` scan of their code. ---
# A warning is a string that reaches a transcript's or a card's warnings: a value given to a
# name or keyword called warning(s) or note(s) (``MONO_WARNING = ...``, ``warnings.append(...)``,
# ``replace(t, warnings=...)``) or to a name called reason (a warning's part, as in
# `presence.empty_channel_reason`), or returned by a function whose name says warning or note
# (``time_limit_warning``, ``_prelude_notes``) or that returns a marked template anywhere
# (`damage.full_scale`, `speakers.diarized_speakers`). Its text must be a marked template: the
# string inside ``N_(...)`` (or another gettext marker), formatted after; an f-string or a bare
# literal is English only, and `card_text` cannot translate it.
WARNING_NAME = re.compile(r"(?i)(warning|note)s?$")
WARNING_PART = re.compile(r"(?i)(warning|note|reason)s?$")
WARNING_FUNCTION = re.compile(r"(?i)warning|note")
MARKERS = set(KEYWORDS)


def _texts(node: ast.AST) -> Iterator[tuple[ast.AST, bool]]:
    """The text literals of a warning's expression, each with whether it is marked. The values
    given to ``.format(...)`` (numbers, names) and a subscript's key are not its text."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in MARKERS:
        yield from ((arg, True) for arg in node.args if isinstance(arg, ast.Constant))
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        yield from _texts(node.func.value)
    elif isinstance(node, ast.Subscript):
        yield from _texts(node.value)
    elif isinstance(node, ast.Dict):
        for value in node.values:
            yield from _texts(value)
    elif isinstance(node, ast.IfExp):
        yield from (*_texts(node.body), *_texts(node.orelse))
    elif isinstance(node, ast.JoinedStr) or isinstance(node, ast.Constant) and isinstance(node.value, str):
        if isinstance(node, ast.JoinedStr) or re.search(r"[A-Za-z]", node.value):
            yield node, False
    else:
        for child in ast.iter_child_nodes(node):
            yield from _texts(child)


def _warning_expressions(tree: ast.Module) -> Iterator[ast.AST]:
    """The expressions of `tree` whose value becomes a warning (see above)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and WARNING_PART.search(t.id) for t in targets):
                yield node.value
        elif isinstance(node, ast.keyword) and node.arg and WARNING_NAME.search(node.arg):
            yield node.value
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in ("append", "extend") and isinstance(node.func.value, ast.Name)
              and WARNING_NAME.search(node.func.value.id)):
            yield from node.args
        elif isinstance(node, ast.FunctionDef):
            returned = [n.value for n in ast.walk(node) if isinstance(n, ast.Return) and n.value is not None]
            if WARNING_FUNCTION.search(node.name) or any(marked for r in returned for _, marked in _texts(r)):
                yield from returned


def _warning_texts(source: str) -> list[tuple[int, str, bool]]:
    """(line, text, marked) of every warning text in `source` (an f-string's text is its source)."""
    return [(node.lineno, ast.unparse(node), marked)
            for expression in _warning_expressions(ast.parse(source)) for node, marked in _texts(expression)]


WARNING_FILES = sorted(p for source in WARNING_SOURCES for p in ([PACKAGE / source] if source.endswith(".py")
                                                                  else (PACKAGE / source).glob("**/*.py")))


@pytest.mark.parametrize("path", WARNING_FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_warning_the_lower_stages_write_is_a_marked_template(path):
    unmarked = [f"{path.name}:{line}: {text}" for line, text, marked in _warning_texts(path.read_text("utf-8"))
                if not marked]
    assert not unmarked, "mark these warnings with N_(...) and run python -m qa_pipeline.criteria.i18n"


def test_the_warning_scan_sees_the_marked_templates_and_flags_unmarked_ones():
    """The scan sees the templates the speech stage marks (so a pass means something), and
    flags each way of writing an unmarked warning."""
    marked = {ast.literal_eval(text) for path in WARNING_FILES for _, text, ok in _warning_texts(path.read_text("utf-8"))
              if ok}
    ids = {m.id for m in extracted() if m.id}
    assert {MONO_WARNING, ROLES_UNKNOWN_WARNING, asr.SAME_CHANNELS_WARNING, asr.SAME_MIX_NOTE, asr.NO_SPEECH_WARNING,
            speakers.ONE_SPEAKER_WARNING, speakers.NO_AGENT_WARNING} <= marked <= ids
    assert len(marked) >= 25
    for unmarked in ['NEW_WARNING = "the line is noisy"',
                     'def f(warnings):\n    warnings.append(f"noise at {t} s")',
                     'def f(t):\n    return replace(t, warnings=(*t.warnings, "noisy"))',
                     'def noise_warning(t):\n    return "noise at {t} s".format(t=t)',
                     'def f(warnings, t):\n    warnings.append(N_("noise at {t} s").format(t=t) if t else "noisy")',
                     'def f(t):\n    if t:\n        return t, N_("noisy")\n    return t, f"quiet at {t} s"',
                     'def f(t):\n    reason = "noisy"\n    return reason, N_("{reason}: check it").format(reason=reason)']:
        assert [marked for *_, marked in _warning_texts(unmarked)].count(False) == 1, unmarked
    assert _warning_texts('X_WARNING = N_("noise at {t} s")') == [(1, "'noise at {t} s'", True)]
