"""tiny.en against base on real calls: WER, verdict agreement and speed, measured in one run.

- WER: the Harper Valley field calls (BPO-Demo__hvb_<sid>_...) against the corpus's human
  transcripts (data/calibration/harper_valley/field_calls.tsv), per speaker (the agent's
  words against the agent's side, the caller's against the caller's), after the same
  normalisation on both sides (`normalise`).
- Agreement: the verdicts of the etiquette rubric against the labels of expected.json, on
  the real calls of the field cases (the Harper Valley calls and the HP technician call),
  and on every field case.
- Speed: call-seconds transcribed per wall-second, each model transcribing the same calls
  in the same run, alternating which goes first; on a shared machine only the ratio
  tiny.en / base means much.

    python bench/model_choice.py ../shared/field-cases [--rounds 2]

Needs the `bench` extra (jiwer, num2words).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import time
from collections import defaultdict
from pathlib import Path

import jiwer
from num2words import num2words

from qa_pipeline.records import AGENT, CUSTOMER, CallMetadata, Transcript
from qa_pipeline.rubric import load_rubric
from qa_pipeline.scoring import score_transcript
from qa_pipeline.speech.asr import AsrOptions, transcribe_file

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "data" / "calibration" / "harper_valley" / "field_calls.tsv"
MODELS = ("tiny.en", "base")
REAL = re.compile(r"^(BPO-Demo__hvb_|approaches-to-diarisation__)")
_FILLERS = {"um", "uh", "uhm", "hmm", "mm", "mhm", "ah", "oh"}
_SPELLING = {"ok": "okay", "alright": "all right", "goodbye": "good bye", "bye-bye": "bye bye"}


def normalise(text: str) -> list[str]:
    """Words for WER: lower case, numbers spelt out (amounts whole, longer digit strings one by
    one, as the corpus's transcribers wrote them), no punctuation, tags or fillers."""
    text = re.sub(r"\[[^\]]*\]|<unk>", " ", text.lower()).replace(",", "")
    text = re.sub(r"\$(\d+)", lambda m: f" {num2words(int(m.group(1)))} dollars ", text)
    text = re.sub(r"\d+", _spoken_number, text)
    words = re.sub(r"[^a-z' ]+", " ", " ".join(_SPELLING.get(w, w) for w in text.split())).split()
    return [w for w in words if w not in _FILLERS]


def _spoken_number(match: re.Match) -> str:
    """Digits as people say them: "89" -> "eighty nine"; three or more digits (phone, zip) one by one."""
    digits = match.group()
    return " " + (" ".join(num2words(int(d)) for d in digits) if len(digits) >= 3 else num2words(int(digits))) + " "


def references(path: Path = REFERENCE) -> dict[str, dict[str, str]]:
    """sid -> speaker -> the human transcript of that side, in time order."""
    rows = defaultdict(list)
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            rows[row["sid"]].append((int(row["start_ms"]), row["role"], row["human_transcript"]))
    sides = {"agent": AGENT, "caller": CUSTOMER}
    return {sid: {speaker: " ".join(t for _, r, t in sorted(segs) if sides[r] == speaker) for speaker in (AGENT, CUSTOMER)}
            for sid, segs in rows.items()}


def side_words(transcript: Transcript, speaker: str) -> list[str]:
    return normalise(" ".join(u.text for u in transcript.by(speaker)))


def word_errors(transcripts: dict[str, Transcript], refs: dict[str, dict[str, str]]) -> tuple[float, int]:
    """Corpus WER over both sides of every call with a reference, and the reference word count."""
    truth, heard = [], []
    for stem, transcript in transcripts.items():
        sid = next((s for s in refs if s in stem), None)
        if sid is None:
            continue
        for speaker in (AGENT, CUSTOMER):
            truth.append(" ".join(normalise(refs[sid][speaker])) or "<empty>")
            heard.append(" ".join(side_words(transcript, speaker)))
    return jiwer.wer(truth, heard), sum(len(t.split()) for t in truth)


def agreement(cards: dict[str, dict[str, str]], expected: dict[str, dict]) -> tuple[int, int]:
    """(agreeing, labelled) verdicts over the calls in `cards`."""
    pairs = [(want, cards[stem].get(criterion)) for stem in cards
             for criterion, want in expected[stem]["labels"].items() if want is not None]
    return sum(w == g for w, g in pairs), len(pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("field_cases", type=Path)
    parser.add_argument("--rounds", type=int, default=1, help="timed passes per model (alternating)")
    args = parser.parse_args()
    expected = json.loads((args.field_cases / "expected.json").read_text())
    paths = [args.field_cases / f"{stem}.flac" for stem in expected]
    rubric, refs = load_rubric("etiquette"), references()
    timing = {m: [0.0, 0.0] for m in MODELS}  # model -> [audio s, wall s]
    transcripts: dict[str, dict[str, Transcript]] = {m: {} for m in MODELS}
    for model in MODELS:  # load (and warm) both models outside the timing
        transcribe_file(paths[0], AsrOptions(model=model))
    for r in range(args.rounds):
        for model in (MODELS if r % 2 == 0 else MODELS[::-1]):
            for path in paths:
                start = time.perf_counter()
                transcript = transcribe_file(path, AsrOptions(model=model))
                timing[model][1] += time.perf_counter() - start
                timing[model][0] += transcript.duration_s
                transcripts[model][path.stem] = transcript
    print(f"{'model':<8} {'WER':>6} {'words':>6} {'agree real':>11} {'agree all':>10} {'call-s/wall-s':>14}")
    for model in MODELS:
        cards = {stem: {c.id: c.verdict for c in score_transcript(t, rubric, CallMetadata(stem), stem).criteria}
                 for stem, t in transcripts[model].items()}
        wer, words = word_errors(transcripts[model], refs)
        real_ok, real_n = agreement({s: v for s, v in cards.items() if REAL.match(s)}, expected)
        all_ok, all_n = agreement(cards, expected)
        speed = timing[model][0] / timing[model][1]
        print(f"{model:<8} {wer:>6.3f} {words:>6} {real_ok:>4}/{real_n:<3} {real_ok / real_n:.2f}"
              f" {all_ok:>3}/{all_n} {all_ok / all_n:.2f} {speed:>9.1f}")
    ratio = (timing["tiny.en"][0] / timing["tiny.en"][1]) / (timing["base"][0] / timing["base"][1])
    print(f"speed ratio tiny.en / base, same run: {ratio:.2f}")


if __name__ == "__main__":
    main()
