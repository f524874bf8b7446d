"""No leak on disk: a rendered call full of PII is scored into a folder and a SQLite store;
none of its PII is in any file or table, the agent's introduction and the verdicts are intact,
and a re-score from the (redacted) transcript cache gives the same verdicts."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

pytestmark = pytest.mark.asr

SCRIPT = Path(__file__).parent / "data" / "redaction" / "pii_call.yaml"
# Digit strings of the call's PII (card, account, phone) and words of its email and address.
SECRETS = ("45391488", "03436467", "8273319", "900123", "okafor", "fastmail", "larkspur", "1982")
NUMBER_WORDS = {"zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
                "six": "6", "seven": "7", "eight": "8", "nine": "9"}


def _flat(text: str) -> str:
    """Lower case, number words as digits, separators between digits removed."""
    words = re.sub(r"\b(" + "|".join(NUMBER_WORDS) + r")\b", lambda m: NUMBER_WORDS[m.group(1)], text.lower())
    return re.sub(r"(?<=\d)[\s,.\-]+(?=\d)", "", words)


def _found(text: str) -> list[str]:
    flat = _flat(text)
    return [s for s in SECRETS if s in flat]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """(the recording, the rendered call's placements)."""
    from qa_pipeline.synth import load_script, render_call, write_recording

    folder = tmp_path_factory.mktemp("pii_call")
    script = load_script(SCRIPT)
    rendered = render_call(script)
    return write_recording(folder / "R01.wav", rendered.audio, "wav"), rendered.placements


@pytest.fixture(scope="module")
def call(rendered):
    return rendered[0]


def test_a_call_full_of_pii_leaves_none_on_disk(call, rendered, tmp_path):
    from qa_pipeline.batch import score_paths
    from qa_pipeline.metadata import read_metadata
    from qa_pipeline.pipeline import CallPipeline, CallSource, PipelineSettings
    from qa_pipeline.pipeline import score_transcript_with_models as score_call
    from qa_pipeline.redaction.scorecard import redact_transcript
    from qa_pipeline.rubric import load_rubric
    from qa_pipeline.speech.asr import AsrOptions
    from qa_pipeline.store import open_store

    # The leak is decoded here (skip_leak=False): with it cut, the caller's card digits and the
    # phone number of her next turn sit 0.4 s apart and Whisper fuses them ("6467" + "0779...",
    # see the xfail below), so fewer secrets come out whole and the guard below could not
    # count them. What this test checks, that nothing heard reaches the disk, is the same.
    rubric, options, cache = load_rubric("etiquette"), AsrOptions(skip_leak=False), tmp_path / "cache"
    pipeline = CallPipeline(PipelineSettings(rubric, options, cache_dir=cache))
    raw = pipeline.transcribe(pipeline.identify(CallSource(call, "R01")))  # ASR once; the cache gets the redacted copy
    raw_text = " ".join(u.text for u in raw.utterances)
    assert len(_found(raw_text)) >= 3, raw_text  # the ASR heard the PII, so the check below can fail
    raw_verdicts = {c.id: c.verdict for c in score_call(raw, rubric, read_metadata(call), str(call)).criteria}
    redacted_verdicts = {c.id: c.verdict for c in
                         score_call(redact_transcript(raw), rubric, read_metadata(call), str(call)).criteria}
    assert redacted_verdicts == raw_verdicts

    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    store = open_store(url)
    out = tmp_path / "out"
    result = score_paths([call], pipeline, out, store)  # re-score from the cache
    store.close()
    card = result.scored[0].card
    assert {c.id: c.verdict for c in card.criteria} == raw_verdicts
    assert (out / "R01.redacted.flac").is_file()

    files = {p.name: p.read_text(errors="ignore") for p in [*out.iterdir(), *cache.iterdir()] if p.suffix != ".flac"}
    con = sqlite3.connect(tmp_path / "store.sqlite")
    tables = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
    files["store"] = "\n".join(str(row) for t in tables for row in con.execute(f"select * from {t}"))
    con.close()
    leaks = {name: _found(text) for name, text in files.items() if _found(text)}
    assert not leaks, leaks
    assert "my name is anna" in files["R01.json"].lower()
    assert "[CARD_NUMBER]" in files["R01.json"] and "[CARD_NUMBER]" in files["store"]
    _answers_are_silenced(rendered[1], call, out / "R01.redacted.flac")


# The customer's lines that hold PII (the answers to the agent's questions), by their first words; not
# "By card. The number is four five...", whose first words hold none and are kept.
PII_LINES = ("Yes, my account number", "The fourteenth of March", "zero three four three",
             "It is zero seven seven", "It is martin", "Yes, forty two")


def _answers_are_silenced(placements, original: Path, redacted: Path) -> None:
    """The customer channel over every PII answer is at least 30 dB down in the redacted copy,
    and the agent's introduction is kept as it was."""
    import numpy as np
    import soundfile as sf

    before, rate = sf.read(original, dtype="float64", always_2d=True)
    after, _ = sf.read(redacted, dtype="float64", always_2d=True)

    def power(samples, p):
        return float(np.mean(samples[int(p.start * rate):int(p.end * rate), :] ** 2))

    answers = [p for p in placements if p.speaker == "customer" and p.text.startswith(PII_LINES)]
    assert len(answers) == len(PII_LINES)
    for p in answers:
        down = 10 * np.log10(power(before[:, 1:], p) / max(power(after[:, 1:], p), 1e-20))
        assert down >= 30, (p.text, down)
    opening = placements[0]
    assert power(after[:, :1], opening) == pytest.approx(power(before[:, :1], opening), rel=1e-3)


@pytest.mark.asr
@pytest.mark.xfail(reason="known limit: with the other party's leak cut out (skip_leak), two turns of one "
                          "speaker 0.4 s apart can have their digits fused by Whisper into one number", strict=False)
def test_digits_of_two_turns_stay_apart_with_the_leak_cut(call):
    from qa_pipeline.speech.asr import AsrOptions, transcribe_file

    heard = transcribe_file(call, AsrOptions(model="tiny.en"))
    assert "03436467" in _flat(" ".join(u.text for u in heard.utterances))
