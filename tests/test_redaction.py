"""Redaction without ASR: spoken forms, split numbers, what must survive, the audio copy,
the store and the `redact` command. The spoken test set with real ASR is in
test_redaction_spoken.py; the end-to-end no-leak test in test_redaction_e2e.py."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from qa_pipeline.records import Transcript, Utterance, Word

pytest.importorskip("presidio_analyzer")


def _u(speaker, start, end, text, channel=None):
    words, at = [], start
    step = (end - start) / max(1, len(text.split()))
    for piece in text.split():
        words.append(Word(" " + piece, at, at + step * 0.9))
        at += step
    return Utterance(speaker, start, end, text, tuple(words), channel)


@pytest.mark.parametrize("text, placeholder", [
    ("My card number is 4539-1488-0343-6467.", "[CARD_NUMBER]"),
    ("four five three nine one four eight eight zero three four three six four six seven", "[CARD_NUMBER]"),
    ("you can reach me on oh seven seven double seven nine oh oh one two three", "[PHONE_NUMBER]"),
    ("my email is martin dot okafor at fastmail dot com", "[EMAIL]"),
    ("My account number is 148-0343-6467.", "[ACCOUNT_NUMBER]"),
    ("My date of birth is the 14th of March 1982.", "[DATE_OF_BIRTH]"),
    ("I live at 42 Larkspur Lane, Springfield.", "[ADDRESS]"),
    # Spelled, suffix-less and garbled forms (issue 23).
    ("The postcode is L S 6, 1 A B.", "[ADDRESS]"),
    ("It's john dot smith at gmail.", "[EMAIL]"),
    ("my email is dave underscore jones 82 at proton mail", "[EMAIL]"),
    ("The card ends in 9855.", "[CARD_NUMBER]"),
    ("the visa card ending in nine eight five five", "[CARD_NUMBER]"),
    ("My date of birth is the fourth of Marsh eighty two.", "[DATE_OF_BIRTH]"),
    ("I was born on the 3rd of Julie 1961.", "[DATE_OF_BIRTH]"),
    # A weak street word after a location cue (a dispatcher's words on a real call, issue 22).
    ("okay just yeah just a verify location 1132 ashberry drive that gets towards it", "[ADDRESS]"),
    ("The address is one hundred and twelve maple close.", "[ADDRESS]"),
    # A telecom agent's read-back: the phone number "on the account" (field call F09).
    ("Your account number is 40271935 and the number on the account is 07700 900123.", "[PHONE_NUMBER]"),
])
def test_spoken_forms_become_typed_placeholders(text, placeholder):
    from qa_pipeline.redaction.scorecard import redact_text

    out = redact_text(text)
    assert placeholder in out and not any(c.isdigit() for c in out.replace(placeholder, "")), out


@pytest.mark.parametrize("text", [
    "The new plan is $40 a month with 20 gigabytes.",
    "I can call you back tomorrow at 10 on the 14th.",
    "Good morning, Ventura Broadband, my name is Anna, how can I help you?",
    "You can visit our website at ventura dot com.",
    "I'll be at home at ten, and the offer ends in 2027.",
    "We met at lunch and talked at length about the plan.",
    "The package arrived at gmail headquarters, I mean at the office.",
    # Weak street words in everyday speech, location words near: no house number and street name.
    "Can you drive to the store near the location?",
    "I booked a test drive at the location for 2 people.",
    "The location has a 4 wheel drive, it's a 30 minute drive away.",
    "At that location 2 of them close at five.",
    "We have 3 locations, about 20 mins drive from here.",
])
def test_prices_times_quantities_and_the_introduction_survive(text):
    from qa_pipeline.redaction.scorecard import redact_text

    assert redact_text(text) == text


def _unredacted_spans(red) -> list:
    """Spans of `red` (a RedactedTranscript) said in words that the text still holds as said."""
    missed = []
    for span in red.spans:
        if not span.heard:
            continue
        words = [w for u in red.transcript.utterances if span.channel in (None, u.channel)
                 for w in u.words if w.start < span.end and w.end > span.start]
        if not any(w.text.strip().startswith("[") for w in words):
            missed.append(span)
    return missed


def test_every_span_silenced_in_the_audio_is_replaced_in_the_text():
    """One set of findings gives both the audio's times and the text's placeholders: the
    address a dispatcher reads out on a mono call is silenced and replaced, and an answer
    ASR heard nothing of (the customer's channel silent) is marked as not in the text."""
    from qa_pipeline.redaction import redactor
    from qa_pipeline.redaction.report import summarize_call

    from _web_helpers import make_card

    mono = Transcript((
        _u("agent", 46.25, 56.55, "okay just yeah just a verify location 1132 ashberry drive that gets towards it"),
        _u("customer", 56.98, 64.13, "is correct and the technician I'm assuming a new one's been assigned"),
    ), 90.0, 1)
    red = redactor().redact_transcript(mono)
    assert "1132" not in red.transcript.utterances[0].text and "ashberry" not in red.transcript.utterances[0].text
    address = [s for s in red.spans if s.entity == "ADDRESS"]
    assert address and not _unredacted_spans(red), red.spans

    silent_customer = Transcript((
        _u("agent", 9.7, 14.6, "Oh, no, what is the address and is it a normal front door lock?", 0),
        _u("agent", 18.5, 20.6, "Okay, and what's your name, please?", 0),
    ), 35.0, 2)
    red = redactor().redact_transcript(silent_customer)
    assert [(s.entity, s.kind, s.heard) for s in red.spans] == [("ADDRESS", "answer", False)]
    assert not _unredacted_spans(red)
    card = make_card("F14", "agent-a", "f14.wav", red.transcript.utterances, {})
    counts = summarize_call(card, red.spans, audio_written=True)
    assert (counts.text_spans, counts.audio_spans, counts.unheard) == ({}, {"address": 1}, {"address": 1})


def test_error_reasons_keep_the_pipelines_own_numbers_and_lose_pii():
    """Byte counts and durations the pipeline writes with their unit are not account numbers;
    numbers from outside (a metadata value) and numbers with PII context words still go."""
    from qa_pipeline.redaction.scorecard import redact_text

    own = "still being written (its WAV header promises 1565000 bytes, the file holds 9399330 bytes, changed 574 s ago)"
    assert redact_text(own) == own
    assert redact_text("metadata: caller 07700900123") == "metadata: caller [PHONE_NUMBER]"
    assert redact_text("account 12345678 bytes") == "account [ACCOUNT_NUMBER] bytes"
    assert redact_text("the caller said 4539148803436467 bytes") == "the caller said [CARD_NUMBER] bytes"


def test_a_card_number_interrupted_by_the_agent_is_one_number_redacted_in_both_pieces():
    from qa_pipeline.redaction import redactor

    transcript = Transcript((
        _u("agent", 0.0, 2.0, "How would you like to pay?", 0),
        _u("customer", 2.5, 5.0, "by card, four five three nine, one four eight eight", 1),
        _u("agent", 5.2, 5.6, "Okay.", 0),
        _u("customer", 6.0, 9.0, "zero three four three, six four six seven.", 1),
        _u("agent", 9.5, 11.0, "Thank you. It is forty dollars.", 0),
    ), 12.0, 2)
    red = redactor().redact_transcript(transcript)
    texts = [u.text for u in red.transcript.utterances]
    assert texts[1] == "by card, [CARD_NUMBER]" and texts[3] == "[CARD_NUMBER]."
    assert texts[4] == "Thank you. It is forty dollars."
    assert {s.channel for s in red.spans} == {1} and len(red.spans) == 2
    # Words keep their count and times; only their text is replaced.
    assert [w.start for w in red.transcript.utterances[1].words] == [w.start for w in transcript.utterances[1].words]


def test_redacting_twice_finds_the_same_spans():
    from qa_pipeline.redaction import redactor

    transcript = Transcript((_u("customer", 1.0, 4.0, "my account number is 8 2 7 3 3 1 9 4", 1),), 5.0, 2)
    once = redactor().redact_transcript(transcript)
    twice = redactor().redact_transcript(once.transcript)
    assert twice.transcript == once.transcript
    assert [(s.start, s.end) for s in twice.spans] == [(s.start, s.end) for s in once.spans]


def test_the_type_set_is_configurable_per_run_and_in_a_settings_file(tmp_path):
    from qa_pipeline.errors import ConfigError
    from qa_pipeline.redaction import load_settings

    site = tmp_path / "redaction.yaml"
    site.write_text("types: [card, email]\naudio: {margin_s: 0.3}\n")
    settings = load_settings(site)
    assert settings.types == {"card", "email"} and settings.margin_s == 0.3
    assert load_settings(site, "default,phone").types == {"card", "email", "phone"}
    assert not load_settings(site, "none").enabled
    assert "customer_name" not in load_settings().types
    with pytest.raises(ConfigError, match="unknown redaction type"):
        load_settings(types="card,shoe_size")


def test_customer_names_when_asked_for_are_the_customers_own_and_the_agent_keeps_hers():
    from qa_pipeline.redaction import load_settings, redactor

    transcript = Transcript((
        _u("agent", 0.0, 2.0, "Thank you for calling, my name is Anna.", 0),
        _u("customer", 2.5, 5.0, "Hi Anna, this is Maria Lopez calling about my bill.", 1),
    ), 6.0, 2)
    texts = [u.text for u in redactor(load_settings(types="customer_name")).redact_transcript(transcript).transcript.utterances]
    assert texts[0] == "Thank you for calling, my name is Anna."
    assert "[CUSTOMER_NAME]" in texts[1] and "Maria" not in texts[1] and "Lopez" not in texts[1], texts[1]
    default = redactor(load_settings()).redact_transcript(transcript).transcript.utterances
    assert "Maria Lopez" in default[1].text


def test_redacted_audio_is_30_db_down_over_the_card_and_unchanged_elsewhere(tmp_path):
    from qa_pipeline.redaction.audio import write_redacted_audio
    from qa_pipeline.redaction.engine import PiiSpan

    rate = 8000
    t = np.arange(rate * 6) / rate
    rng = np.random.default_rng(0)
    left = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.01 * rng.standard_normal(len(t))
    right = 0.05 * np.sin(2 * np.pi * 300 * t)  # the echo on the other channel
    source = tmp_path / "call.wav"
    sf.write(source, np.stack([left, right], axis=1), rate, subtype="PCM_16")
    span = PiiSpan("CARD_NUMBER", 2.0, 3.5, 0, "")
    out = write_redacted_audio(source, [span], tmp_path / "call.redacted.flac", margin_s=0.15, fade_s=0.01)
    before, _ = sf.read(source, dtype="int16", always_2d=True)
    after, after_rate = sf.read(out, dtype="int16", always_2d=True)
    assert after_rate == rate and after.shape == before.shape

    def level(x):
        return 20 * np.log10(np.sqrt(np.mean(x.astype(np.float64) ** 2)) + 1e-9)

    inside = slice(int(2.0 * rate), int(3.5 * rate))
    for channel in (0, 1):
        assert level(before[inside, channel]) - level(after[inside, channel]) >= 30
    outside = np.ones(len(before), bool)
    outside[int((2.0 - 0.15 - 0.01) * rate): int((3.5 + 0.15 + 0.01) * rate) + 1] = False
    assert np.array_equal(before[outside], after[outside])


def _pii_card(versions=None):
    from qa_pipeline.records import CallMetrics, CriterionResult, Evidence, Scorecard

    utterances = (
        _u("agent", 0.5, 3.0, "Good morning, Ventura Broadband, my name is Anna, how can I help you?", 0),
        _u("customer", 3.5, 7.0, "My card number is 4539 1488 0343 6467.", 1),
        _u("agent", 7.5, 9.0, "Thank you, goodbye.", 0),
    )
    criteria = (
        CriterionResult("self_introduction", "pass", 1.0, 0.9, (Evidence.of(utterances[0]),), "agent gave name 'Anna'"),
        CriterionResult("no_interrupting", "pass", 1.0, 0.9, (Evidence.of(utterances[1]),), "customer said 4539 1488 0343 6467"),
    )
    return Scorecard("R02", "r02.wav", "agent-anna", 10.0, 2, "etiquette", "1", 100.0, criteria, CallMetrics(),
                     Transcript(utterances, 10.0, 2), versions=versions or {"pipeline": "0.1.0"})


LEAKS = ("4539", "1488", "0343", "6467")


def _store_text(url):
    import sqlite3

    con = sqlite3.connect(url.removeprefix("sqlite:///"))
    tables = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
    dump = "\n".join(str(row) for t in tables for row in con.execute(f"select * from {t}"))
    con.close()
    return dump


def test_the_store_keeps_only_redacted_text_and_the_redacted_audio_path(tmp_path):
    from qa_pipeline.store import open_store

    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    store = open_store(url)
    scorecard_id = store.save_scorecard(_pii_card(), "ab" * 32, "r02.wav", redacted_audio=str(tmp_path / "r02.redacted.flac"))
    detail = store.call_detail(scorecard_id)
    store.close()
    dump = _store_text(url)
    assert not any(leak in dump for leak in LEAKS)
    assert "my name is Anna" in dump and "[CARD_NUMBER]" in dump
    assert detail.redacted_audio_path.endswith("r02.redacted.flac")
    assert [c.verdict for c in detail.card.criteria] == ["pass", "pass"]


def test_redact_command_re_redacts_an_old_folder_and_store(tmp_path):
    from dataclasses import replace

    from click.testing import CliRunner

    from qa_pipeline.cli import main
    from qa_pipeline.report import scorecard_json
    from qa_pipeline.store import open_store

    recording = tmp_path / "r02.wav"
    sf.write(recording, 0.1 * np.ones((16000 * 10, 2)), 16000, subtype="PCM_16")
    # As an earlier version wrote it: raw text, no redacted audio.
    old = replace(_pii_card(versions={"pipeline": "0.0.9", "redaction": "off"}), recording=str(recording))
    out = tmp_path / "out"
    out.mkdir()
    (out / "R02.json").write_text(scorecard_json(old))
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    store = open_store(url)
    store.save_scorecard(old, "cd" * 32, str(recording))
    store.close()
    assert "4539" in (out / "R02.json").read_text() and "4539" in _store_text(url)

    result = CliRunner().invoke(main, ["redact", str(out), "--db", url])
    assert result.exit_code == 0, result.output
    files = "".join(p.read_text() for p in out.iterdir() if p.suffix != ".flac")
    for text in (files, _store_text(url)):
        assert not any(leak in text for leak in LEAKS)
        assert "my name is Anna" in text
    # The old audio is silenced over the whole utterance that held the card number (3.5-7.0 s).
    muted, rate = sf.read(out / "R02.redacted.flac")
    assert np.all(muted[int(3.6 * rate):int(6.9 * rate)] == 0) and np.all(muted[: int(3.0 * rate)] != 0)
    assert str((out / "R02.redacted.flac").resolve()) in _store_text(url)
