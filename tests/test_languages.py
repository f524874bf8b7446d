"""Language as a property of a call: the Language records, rubric variants, metadata and the card."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from qa_pipeline.contract import scorecard_from_dict, scorecard_to_dict, transcript_from_dict, transcript_to_dict
from qa_pipeline.errors import ConfigError
from qa_pipeline.languages import AUTO, checked_language, known_languages, language
from qa_pipeline.metadata import merge_metadata, parse_metadata_csv
from qa_pipeline.records import CallMetadata
from qa_pipeline.rubric import in_language, load_rubric, rubric_languages

from _scoring_helpers import dialogue


def test_each_language_module_gives_its_record():
    assert {"en", "ja"} <= set(known_languages())
    for code in known_languages():
        assert language(code).code == code
    assert language(" JA ") is language("ja")


@pytest.mark.parametrize("code", ["xx", "english", "", "../en"])
def test_an_unknown_language_is_a_clear_error(code):
    with pytest.raises(ConfigError, match="supported|expected a language code"):
        language(code)


def test_auto_is_allowed_only_where_asked():
    assert checked_language("Auto", allow_auto=True) == AUTO
    with pytest.raises(ConfigError):
        checked_language("auto")


def test_english_keeps_its_word_classes():
    from qa_pipeline import nlp, phrases
    from qa_pipeline.languages import en

    assert phrases.NEGATORS is en.NEGATORS and nlp.WH_WORDS is en.WH_WORDS
    assert language("en").match_attr == "LOWER" and language("en").parsed


def test_a_rubric_in_japanese_keeps_ids_weights_and_impls():
    base, ja = load_rubric("etiquette"), load_rubric("etiquette", language="ja")
    assert (ja.id, ja.version, ja.language) == (base.id, base.version, "ja")
    assert [(c.id, c.impl, c.weight) for c in ja.criteria] == [(c.id, c.impl, c.weight) for c in base.criteria]
    assert ja.criterion("no_im_listening").title == "「聞いています」と言わなかった"
    # params merge key by key: what the variant does not set stays the base's
    assert ja.criterion("no_interrupting").params.min_overlap_s == base.criterion("no_interrupting").params.min_overlap_s


def test_call_handling_in_japanese_takes_the_etiquette_criteria_in_japanese():
    ja = load_rubric("call_handling", language="ja")
    assert ja.id == "call_handling" and len(ja.criteria) == 15
    assert ja.criterion("said_goodbye").params.phrases == load_rubric("etiquette", language="ja").criterion(
        "said_goodbye").params.phrases
    assert ja.criterion("speaking_pace").params.unit == "characters"
    assert ja.criterion("self_introduction").serious_error == "名乗らない"


def test_a_language_without_a_rubric_file_says_which_there_are(tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text(Path(load_rubric("etiquette").source).read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"no rubric in language 'ja' \(looked for mine.ja.yaml\); languages with one: en"):
        load_rubric(mine, language="ja")
    assert rubric_languages("etiquette")[0] == "en" and "ja" in rubric_languages("etiquette")


def test_in_language_switches_both_ways_and_drops_the_english_classifiers():
    en = load_rubric("etiquette")
    ja = in_language(en, "ja")
    assert ja.language == "ja" and not any(c.use_classifier for c in ja.criteria)
    assert in_language(ja, "en").language == "en"
    assert in_language(en, "") is en and in_language(en, "en") is en


def test_metadata_language_column_is_checked():
    rows = parse_metadata_csv("file,language\nJ01.wav,JA\nJ02.wav,auto\n")
    assert merge_metadata(CallMetadata("J01"), rows["J01.wav"]).language == "ja"
    assert merge_metadata(CallMetadata("J02"), rows["J02.wav"]).language == "auto"
    with pytest.raises(ValueError, match="not supported"):
        merge_metadata(CallMetadata("J03"), {"language": "xx"})


def test_the_card_records_language_and_probability():
    from qa_pipeline.scoring import score_transcript

    transcript = dataclasses.replace(dialogue("A: hello my name is anna", "C: hi"), language="en",
                                     language_probability=0.91234)
    card = score_transcript(transcript, load_rubric("etiquette"), CallMetadata("L1"), "L1.wav")
    data = scorecard_to_dict(card)
    assert (data["language"], data["language_probability"]) == ("en", 0.912)
    assert scorecard_from_dict(data).transcript.language == "en"
    given = transcript_to_dict(dataclasses.replace(transcript, language_probability=None))
    assert given["language_probability"] is None and transcript_from_dict(given).language == "en"


def test_a_language_other_than_english_uses_the_multilingual_model():
    from qa_pipeline.speech.asr import AsrOptions

    assert AsrOptions(model="tiny.en").model == "tiny.en"
    assert AsrOptions(model="tiny.en", language="ja").model == "base"
    assert AsrOptions(language="ja").model == "base"
    assert AsrOptions(language="auto").model == "base"
    assert AsrOptions(language="ja", model="/models/mine").model == "/models/mine"
    with pytest.raises(ConfigError):
        AsrOptions(language="xx")
    with pytest.raises(ConfigError):
        AsrOptions(time_limit_s=0)


def test_a_low_detection_probability_warns():
    from qa_pipeline.speech.asr import _detection_warnings

    assert _detection_warnings("ja", None) == () and _detection_warnings("ja", 0.95) == ()
    (warning,) = _detection_warnings("ja", 0.42)
    assert "0.42" in warning and "--language" in warning


@pytest.mark.asr
def test_whisper_base_detects_english_and_the_time_limit_stops_decoding():
    """On a real short clip: detection with its probability, and a limit that runs out at once."""
    from qa_pipeline.speech.asr import AsrOptions, detect_language, load_model
    from qa_pipeline.speech.audio import load_audio
    from qa_pipeline.speech.decoding import transcribe_channel_bounded

    from _asr_helpers import clip_path

    audio = load_audio(clip_path("two_speakers"))
    options = AsrOptions(language="auto", time_limit_s=1e-6)
    model = load_model(options)
    code, probability = detect_language(model, audio)
    assert code == "en" and probability > 0.7
    heard = transcribe_channel_bounded(model, audio.channels[0], dataclasses.replace(options, language=code))
    assert heard.stopped_at_s is not None and heard.stopped_at_s < audio.duration_s
