"""Re-derive the rubric thresholds that describe human speech from real calls.

The calibration set is data/calibration/harper_valley/segments.tsv: human transcripts with
timings of real two-party bank calls from the Harper Valley corpus (Gridspace and Stanford,
CC-BY-4.0; see that folder's README). Each threshold is a stated percentile of a stated
measurement on those calls, taken with the pipeline's own code where the rubric measures it
(the pace is `speaking_pace`'s own `rate_of` and `fastest_stretch`).

    python scripts/derive_thresholds.py            # print every value and where it comes from
    python scripts/derive_thresholds.py --check    # also exit 1 if a bundled rubric disagrees

tests/test_calibration.py runs `derive()` and checks the bundled rubrics hold these values.
"""

from __future__ import annotations

import argparse
import csv
import math
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa_pipeline.criteria.context import CallContext
from qa_pipeline.criteria.cutoff import CutoffParams
from qa_pipeline.criteria.handling.pace import PaceParams, fastest_stretch, rate_of
from qa_pipeline.records import AGENT, CUSTOMER, CallMetadata, Transcript, Utterance
from qa_pipeline.rubric import load_rubric
from qa_pipeline.timing import spoken_words

CALIBRATION = Path(__file__).resolve().parent.parent / "data" / "calibration" / "harper_valley" / "segments.tsv"
_ROLES = {"agent": AGENT, "caller": CUSTOMER}
# `Threshold.rubric` of a value held in code, not in a rubric: the cut-off detector's defaults.
CODE = "qa_pipeline.criteria.cutoff"
# Transcriber tags for what is not a word ("[noise]", "[laughter]"); "<unk>" is a word not made out.
_TAG = re.compile(r"\[[^\]]*\]")
# Feedback words: a segment made only of these is a backchannel (the rubric's own list decides
# in no_interrupting; these are the forms Harper Valley's transcribers write).
_BACKCHANNEL_WORDS = frozenset({"okay", "alright", "right", "yes", "yeah", "mhm", "mmhmm", "uhhuh", "sure", "hmm"})


@dataclass(frozen=True)
class Threshold:
    """A rubric parameter and how it is derived: `value` is `percentile` of `measure` (n values)."""

    rubric: str
    criterion: str
    param: str
    value: float
    percentile: int
    measure: str
    n: int
    rounding: str


def load_calls(path: Path = CALIBRATION) -> dict[str, Transcript]:
    """The calibration calls as transcripts (sid -> Transcript); segments without a word are left out."""
    rows: dict[str, list[Utterance]] = defaultdict(list)
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            text = " ".join(_TAG.sub(" ", row["human_transcript"]).split())
            if not spoken_words(text):
                continue
            start = int(row["start_ms"]) / 1000
            end = start + int(row["duration_ms"]) / 1000
            rows[row["sid"]].append(Utterance(_ROLES[row["role"]], start, end, text))
    return {sid: _transcript(utterances) for sid, utterances in sorted(rows.items())}


def _transcript(utterances: list[Utterance]) -> Transcript:
    ordered = tuple(sorted(utterances, key=lambda u: (u.start, u.end)))
    return Transcript(ordered, max(u.end for u in ordered), 2)


def _context(transcript: Transcript) -> CallContext:
    # The pace needs no parse: docs stay empty placeholders aligned with the utterances.
    return CallContext(transcript, CallMetadata("calibration"), tuple(None for _ in transcript.utterances))


def pace_rates(calls: dict[str, Transcript], params: PaceParams) -> tuple[list[float], list[float]]:
    """Per call with enough agent speech: the agent's overall wpm and fastest-stretch wpm."""
    overall, stretches = [], []
    for transcript in calls.values():
        ctx = _context(transcript)
        rate = rate_of(ctx, ctx.agent_indices())
        if rate.speech_s < params.min_speech_s:
            continue
        overall.append(rate.wpm)
        stretch = fastest_stretch(ctx, params)
        if stretch is not None:
            stretches.append(stretch.wpm)
    return overall, stretches


def gaps_before_agent(calls: dict[str, Transcript]) -> list[float]:
    """Silences (s) that end when the agent speaks: from the end of anyone's speech to the agent's next word."""
    gaps = []
    for transcript in calls.values():
        reach = None
        for u in transcript.utterances:
            if reach is not None and u.speaker == AGENT and u.start > reach:
                gaps.append(u.start - reach)
            reach = u.end if reach is None else max(reach, u.end)
    return gaps


def backchannel_durations(calls: dict[str, Transcript]) -> list[float]:
    """Durations (s) of segments made only of feedback words ("okay", "alright", "yes")."""
    return [u.duration for t in calls.values() for u in t.utterances
            if all(w in _BACKCHANNEL_WORDS for w in spoken_words(u.text))]


def caller_turn_words(calls: dict[str, Transcript]) -> list[int]:
    """Words per caller turn: consecutive caller segments until the agent speaks."""
    turns = []
    for transcript in calls.values():
        words = 0
        for u in transcript.utterances:
            if u.speaker == CUSTOMER:
                words += len(spoken_words(u.text))
            elif words:
                turns.append(words)
                words = 0
        if words:
            turns.append(words)
    return turns


def percentile(values: list[float], q: int) -> float:
    """The `q`th percentile as an observed value (numpy's "higher" method: no interpolation)."""
    return float(np.percentile(np.asarray(values, dtype=float), q, method="higher"))


def _up(value: float, step: float) -> float:
    return math.ceil(value / step - 1e-9) * step


def _down(value: float, step: float) -> float:
    return math.floor(value / step + 1e-9) * step


def derive(path: Path = CALIBRATION) -> list[Threshold]:
    """Every calibrated threshold, derived from the calibration set at `path`."""
    calls = load_calls(path)
    pace = load_rubric("call_handling").criterion("speaking_pace").params
    overall, stretches = pace_rates(calls, pace)
    gaps = gaps_before_agent(calls)
    backchannels = backchannel_durations(calls)
    turns = caller_turn_words(calls)
    return [
        Threshold("call_handling", "speaking_pace", "max_wpm", _up(percentile(overall, 95), 5), 95,
                  "agent words per minute over their own utterances, per call", len(overall), "up to 5 wpm"),
        Threshold("call_handling", "speaking_pace", "stretch_max_wpm", _up(percentile(stretches, 100), 5), 100,
                  f"agent wpm in the fastest {pace.stretch_window_s:g} s stretch, per call", len(stretches), "up to 5 wpm"),
        # A hold is a silence few ordinary replies reach: after an announced pause, longer than
        # nine in ten of real agents' response silences; unannounced, longer than 97 in 100
        # (those are 9-13 s look-ups; the 5-7 s ones are brief checks, not holds to ask leave for).
        Threshold("call_handling", "hold_etiquette", "announced_gap_s", _up(percentile(gaps, 90), 0.5), 90,
                  "silence before the agent speaks", len(gaps), "up to 0.5 s"),
        Threshold("call_handling", "hold_etiquette", "silent_gap_s", _up(percentile(gaps, 97), 0.5), 97,
                  "silence before the agent speaks", len(gaps), "up to 0.5 s"),
        Threshold("etiquette", "no_interrupting", "backchannel_max_s", _up(percentile(backchannels, 95), 0.1), 95,
                  "duration of a segment made only of feedback words", len(backchannels), "up to 0.1 s"),
        Threshold("call_handling", "acknowledged_caller", "min_turn_words", float(percentile(turns, 90)), 90,
                  "words in a caller's turn", len(turns), "none"),
        Threshold(CODE, "CutoffParams", "max_trailing_silence_s", _down(percentile(gaps, 50), 0.5), 50,
                  "silence before the agent speaks", len(gaps), "down to 0.5 s"),
    ]


def describe(calls: dict[str, Transcript]) -> list[str]:
    """Figures of the set that set no threshold, printed for reference."""
    pace = PaceParams(max_wpm=0, stretch_max_wpm=0, min_speech_s=0)
    overall, _ = pace_rates(calls, pace)
    gaps = gaps_before_agent(calls)
    lines = [(f"calls: {len(calls)}; agent wpm per call (all calls): min {min(overall):.0f}, "
              f"median {percentile(overall, 50):.0f}, max {max(overall):.0f}")]
    lines.append("silence before the agent speaks (s): " + ", ".join(
        f"p{q} {percentile(gaps, q):.2f}" for q in (50, 75, 90, 95, 97, 99, 100)))
    turns = caller_turn_words(calls)
    lines.append("words per caller turn: " + ", ".join(f"p{q} {percentile(turns, q):.0f}" for q in (50, 75, 90, 100)))
    return lines


def rubric_value(threshold: Threshold) -> float:
    """The value the bundled rubric (or, for `CODE`, `CutoffParams`) holds for `threshold`'s parameter."""
    if threshold.rubric == CODE:
        return getattr(CutoffParams(), threshold.param)
    return getattr(load_rubric(threshold.rubric).criterion(threshold.criterion).params, threshold.param)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calibration", type=Path, default=CALIBRATION, help="segments.tsv of the calibration set")
    parser.add_argument("--check", action="store_true", help="exit 1 if a bundled rubric holds another value")
    args = parser.parse_args(argv)
    for line in describe(load_calls(args.calibration)):
        print(line)
    drift = 0
    for t in derive(args.calibration):
        held = rubric_value(t)
        mark = "" if math.isclose(held, t.value) else f"   <- rubric holds {held:g}"
        drift += bool(mark)
        print(f"{t.rubric}.{t.criterion}.{t.param} = {t.value:g}: p{t.percentile} of {t.measure} "
              f"(n={t.n}), rounded {t.rounding}{mark}")
    return 1 if args.check and drift else 0


if __name__ == "__main__":
    sys.exit(main())
