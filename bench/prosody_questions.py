"""What the rising pitch adds to finding questions written with a full stop.

Renders declarative questions (spoken as questions: "?") and matched statements (".") in
each synthetic voice of the sample-call generator, through the same telephone band, and
gives each the transcript Whisper writes for a declarative question: the words with a
full stop. Words alone (syntax and embedded-question cues) find none of them, so what is
counted is what the pitch adds. Prints, per voice, how many questions are found
(recall) and how many statements are taken for questions (false alarms), at the rubric's
threshold and at a few others.

    .venv/bin/python bench/prosody_questions.py [--voices ava lily joe]

Needs the `samples` extra and espeak-ng/sox (`make system-deps`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scipy.signal import resample_poly

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa_pipeline import nlp, synth  # noqa: E402
from qa_pipeline.criteria.hidden_questions import HiddenQuestionCues, hidden_questions  # noqa: E402
from qa_pipeline.records import AGENT, Word  # noqa: E402
from qa_pipeline.rubric import load_rubric  # noqa: E402
from qa_pipeline.speech.prosody import final_rise_st  # noqa: E402
from qa_pipeline.speech.utterances import split_utterances  # noqa: E402

# (declarative question, statement of the same shape)
PAIRS = [
    ("You've already turned the water off at the mains", "You've already turned the water off at the mains"),
    ("And it started this morning", "And it started this morning"),
    ("You want the appointment on Friday", "You want the appointment on Friday"),
    ("So your car is a diesel", "So your car is a diesel"),
    ("You have the router in front of you", "You have the router in front of you"),
    ("And the parcel is going to Chicago", "And the parcel is going to Chicago"),
    ("You paid by card last time", "You paid by card last time"),
    ("So the pain is on the left side", "So the pain is on the left side"),
]
VOICES = ["ava", "lily", "annie", "mark", "oliver", "joe", "joe-deep", "joe-bright", "joe-high"]
THRESHOLDS = (1.0, 1.5, 2.0)


def _counted(text: str, rise: float | None, cues: HiddenQuestionCues) -> bool:
    tokens = text.split()
    words = [Word(t, 0.3 * i, 0.3 * (i + 1)) for i, t in enumerate(tokens)]
    words[-1] = Word(tokens[-1], words[-1].start, words[-1].end, rise_st=rise)
    (utterance,) = split_utterances(words, AGENT, 0, gap_s=5.0)
    doc = nlp.parse([utterance.text])[0]
    return bool(nlp.question_sentences(doc) or hidden_questions(doc, utterance, [], cues))


def _rise(voice: str, text: str) -> float | None:
    audio = synth.telephone_band(synth.speak(voice, text) * 0.05)
    samples = resample_poly(audio, 2, 1)
    return final_rise_st(samples, 16_000, len(samples) / 16_000)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voices", nargs="*", default=VOICES)
    args = parser.parse_args(argv)
    params = load_rubric("etiquette").criterion("asked_questions").params
    rubric_cues = params.hidden()
    words_only = HiddenQuestionCues(rubric_cues.embedded, use_pitch=False)
    print(f"rubric threshold: {rubric_cues.rising_pitch_st} st; {len(PAIRS)} questions and statements per voice")
    print(f"{'voice':11s} {'words only':>10s}  " + "  ".join(f"{f'>= {t:.1f} st':>17s}" for t in THRESHOLDS))
    totals = {t: [0, 0] for t in THRESHOLDS}
    for voice in args.voices:
        rises = [(_rise(voice, q + "?"), _rise(voice, s + ".")) for q, s in PAIRS]
        base = sum(_counted(q + ".", rq, words_only) for (q, _), (rq, _) in zip(PAIRS, rises))
        cells = []
        for t in THRESHOLDS:
            cues = HiddenQuestionCues(rubric_cues.embedded, t, True)
            found = sum(_counted(q + ".", rq, cues) for (q, _), (rq, _) in zip(PAIRS, rises))
            false = sum(_counted(s + ".", rs, cues) for (_, s), (_, rs) in zip(PAIRS, rises))
            totals[t][0] += found
            totals[t][1] += false
            cells.append(f"{found}/{len(PAIRS)} q, {false}/{len(PAIRS)} s")
        print(f"{voice:11s} {base:>4d}/{len(PAIRS)} q  " + "  ".join(f"{c:>17s}" for c in cells))
    n = len(PAIRS) * len(args.voices)
    print("all voices: " + "; ".join(f">= {t:.1f} st: recall {totals[t][0] / n:.2f}, false alarms {totals[t][1] / n:.2f}"
                                     for t in THRESHOLDS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
