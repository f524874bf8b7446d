"""Calibrate verdict confidence, the review mark and the shown outcome on labelled calls.

    python scripts/calibrate_confidence.py --transcripts-cache DIR
    python scripts/calibrate_confidence.py --sample sample_audio --field ../shared/field-cases --transcripts-cache DIR
    python scripts/calibrate_confidence.py --sample sample_audio_ru --language ru --transcripts-cache DIR

It prints the model's `Calibration(...)` for `CALIBRATIONS` in `qa_pipeline/confidence.py`
(one per Whisper model: `--model`, default the shipped default), each figure with what it
sets; it is copied into that module by hand.

Three measurements, each printed with what it sets in `qa_pipeline/confidence.py`:

1. **Words.** Whisper's word probability against whether the word is right: the sample
   calls' words aligned (difflib) with their scripts (`scripts/calls/<id>_*.yaml`), and the
   two real Harper Valley field calls' words with their human transcripts
   (`data/calibration/harper_valley/field_calls.tsv`). `LOW_WORD_P` is where P(right) of
   the sample calls' words, a logistic of the probability, crosses 0.5.
2. **Verdicts.** Every pass or fail of both bundled rubrics that a label covers, with its
   basis (`confidence.basis_of`): a logistic regression of "agrees with the label" on the
   basis's two features is fitted on the sample calls. The reliability table (confidence
   bins against observed agreement) and the Brier score are printed before (the criteria's
   own confidences) and after: after is cross-validated on the sample calls (5 folds by
   call, each call's verdicts predicted by a model fitted without it) and held out on the
   field cases (fitted on all sample calls). The labels are the manifest's and
   expected.json's as they are.
3. **Outcome.** The outcome classifier's probability against agreement with the labelled
   outcome, per probability bin, on the sample calls.

4. **Other languages** (`--language`, with that language's labelled folder as `--sample`):
   how often the verdicts resting on something not said, and the others, agree with the
   labels; the confidence the English calibration gives them and the ceiling
   (`confidence.language_ceiling`) against that, with the review marks; and the
   `Agreement(...)` line for `confidence.AGREEMENTS`. Words and outcome are not measured there.

Transcripts come from the pipeline's transcribe step (the cache when given, else ASR).
"""

from __future__ import annotations

import argparse
import csv
import difflib
import json
import math
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold

from qa_pipeline import confidence
from qa_pipeline.annotations import call_annotations
from qa_pipeline.classifiers.predict import predict_dialogue_acts, predict_outcome
from qa_pipeline.cli.evaluate import load_labelled_calls
from qa_pipeline.cli.score import asr_options
from qa_pipeline.languages import ENGLISH
from qa_pipeline.pipeline import CallPipeline, CallSource, PipelineSettings
from qa_pipeline.records import AGENT, CUSTOMER, FAIL, PASS, Transcript
from qa_pipeline.rubric import load_rubric
from qa_pipeline.scoring import criteria_context, evaluate_criterion, with_cutoff
from qa_pipeline.speech.asr import model_label

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts" / "calls"
FIELD_TRANSCRIPTS = ROOT / "data" / "calibration" / "harper_valley" / "field_calls.tsv"
RUBRICS = ("etiquette", "call_handling")
BINS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0001)
WORD_BINS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0001)
OUTCOME_BINS = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0001)
_WORD = re.compile(r"[a-z0-9']+")


@dataclass(frozen=True)
class Verdict:
    """One labelled pass or fail: where it comes from, whether it agrees, and its basis."""

    corpus: str  # "sample" or "field"
    call_id: str
    rubric: str
    criterion: str
    agrees: bool
    rule_confidence: float
    basis: confidence.Basis
    absent: bool = False  # rests on something not said (`confidence.rests_on_absence`)


def words_of(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("-", " "))


def word_correctness(transcript: Transcript, reference: dict[str, list[str]]) -> list[tuple[float, bool]]:
    """(probability, right) for each recognised word, aligned per speaker with `reference` words
    (speaker -> words in order; key "all" when roles are unknown)."""
    pairs: list[tuple[float, bool]] = []
    speakers = (AGENT, CUSTOMER) if transcript.roles_known and AGENT in reference else ("all",)
    for speaker in speakers:
        hyp = [(w.probability, token) for u in transcript.utterances if speaker == "all" or u.speaker == speaker
               for w in u.words for token in words_of(w.text)[:1]]
        matcher = difflib.SequenceMatcher(None, reference.get(speaker, []), [t for _, t in hyp], autojunk=False)
        right = set()
        for block in matcher.get_matching_blocks():
            right.update(range(block.b, block.b + block.size))
        pairs += [(p, k in right) for k, (p, _) in enumerate(hyp)]
    return pairs


def script_reference(call_id: str) -> dict[str, list[str]] | None:
    found = sorted(SCRIPTS.glob(f"{call_id}_*.yaml"))
    if not found:
        return None
    turns = yaml.safe_load(found[0].read_text(encoding="utf-8")).get("turns", [])
    ref: dict[str, list[str]] = {AGENT: [], CUSTOMER: [], "all": []}
    for turn in turns:
        words = words_of(str(turn.get("text", "")))
        ref.setdefault(turn.get("speaker", ""), []).extend(words)
        ref["all"].extend(words)
    return ref


def field_references() -> dict[str, dict[str, list[str]]]:
    """Human transcripts of the Harper Valley field calls, keyed by corpus call id."""
    refs: dict[str, dict[str, list[str]]] = {}
    with FIELD_TRANSCRIPTS.open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            ref = refs.setdefault(row["sid"], {AGENT: [], CUSTOMER: [], "all": []})
            words = [w for w in words_of(re.sub(r"\[[^\]]*\]|<unk>", " ", row["human_transcript"]))]
            ref[AGENT if row["role"] == "agent" else CUSTOMER].extend(words)
            ref["all"].extend(words)
    return refs


def field_calls(folder: Path) -> dict[str, dict]:
    """expected.json's calls as manifest entries (a null label asserts nothing and is left out)."""
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    return {stem: {"call_id": stem, "file": f"{stem}.flac",
                   "expected": {k: v for k, v in entry["labels"].items() if v is not None}}
            for stem, entry in expected.items()}


def verdicts_of(corpus: str, call_id: str, transcript: Transcript, metadata, expected: dict,
                language: str = ENGLISH) -> list[Verdict]:
    out = []
    for rubric_id in RUBRICS:
        rubric = load_rubric(rubric_id, language)
        acts = predict_dialogue_acts(transcript) if any(c.use_classifier for c in rubric.criteria) else None
        ctx, joined_acts = criteria_context(with_cutoff(transcript), metadata, acts, rubric.language)
        for config in rubric.criteria:
            want = expected.get(config.id)
            result = evaluate_criterion(ctx, config, joined_acts)
            if want is None or result.verdict not in (PASS, FAIL):
                continue
            out.append(Verdict(corpus, call_id, rubric_id, config.id, result.verdict == want, result.confidence,
                               confidence.basis_of(ctx, config, result), confidence.rests_on_absence(config, result)))
    return out


def collect(corpus: str, folder: Path, calls: dict[str, dict], pipeline: CallPipeline, refs: dict,
            language: str = ENGLISH) -> tuple[list[Verdict], list[tuple[float, bool]], list[tuple[float, bool]]]:
    verdicts, words, outcomes = [], [], []
    rubric = load_rubric(RUBRICS[0], language)
    for n, (call_id, call) in enumerate(calls.items(), start=1):
        print(f"[{corpus} {n}/{len(calls)}] {call['file']}", file=sys.stderr)
        plan = pipeline.identify(CallSource(folder / call["file"], call_id), rubric)
        with call_annotations():
            transcript = pipeline.transcribe(plan)
            verdicts += verdicts_of(corpus, call_id, transcript, plan.metadata, call.get("expected", {}), language)
            ref = refs.get(call_id) or next((r for sid, r in refs.items() if sid in call_id), None)
            if ref is not None:
                words += word_correctness(transcript, ref)
            if call.get("outcome") and transcript.roles_known and transcript.by(AGENT):
                predicted = predict_outcome(transcript)
                outcomes.append((predicted.probability, predicted.label == call["outcome"]))
    return verdicts, words, outcomes


# ---------------------------------------------------------------- tables


def binned(pairs: Iterable[tuple[float, bool]], edges: Sequence[float]) -> list[tuple[str, int, float, float]]:
    """(bin, n, mean predicted, observed share true) per non-empty bin."""
    rows = []
    items = list(pairs)
    for lo, hi in zip(edges, edges[1:]):
        inside = [(p, y) for p, y in items if lo <= p < hi]
        if inside:
            rows.append((f"{lo:.2f}-{min(hi, 1.0):.2f}", len(inside), float(np.mean([p for p, _ in inside])),
                         float(np.mean([y for _, y in inside]))))
    return rows


def table(title: str, pairs: list[tuple[float, bool]], edges: Sequence[float], what: str) -> str:
    lines = [title, f"| {what} | n | mean predicted | observed |", "|---|---|---|---|"]
    lines += [f"| {b} | {n} | {m:.3f} | {o:.3f} |" for b, n, m, o in binned(pairs, edges)]
    return "\n".join(lines)


def brier(pairs: Sequence[tuple[float, bool]]) -> float:
    return float(np.mean([(p - float(y)) ** 2 for p, y in pairs]))


# ---------------------------------------------------------------- fits


def features(verdicts: Sequence[Verdict], low_word_p: float) -> np.ndarray:
    known = [math.log1p(n) for v in verdicts if (n := v.basis.low_words(low_word_p)) is not None]
    # Only the word threshold and the no-words fill (the mean of the known) enter the features.
    probe = confidence.Calibration(low_word_p, 0.0, 0.0, 0.0, float(np.mean(known)) if known else 0.0, 0.0, 0.0)
    return np.array([v.basis.features(probe) for v in verdicts])


def fit(verdicts: Sequence[Verdict], low_word_p: float) -> LogisticRegression:
    # Unregularised: two features, hundreds of verdicts; a penalty would pull the coefficients
    # towards 0 and make every verdict look alike, which is what this replaces.
    model = LogisticRegression(C=1e6, max_iter=1000)
    return model.fit(features(verdicts, low_word_p), [v.agrees for v in verdicts])


def cross_validated(verdicts: Sequence[Verdict], low_word_p: float, folds: int = 5) -> list[float]:
    """Each verdict's confidence from a model fitted on the other folds' calls."""
    x, y = features(verdicts, low_word_p), np.array([v.agrees for v in verdicts])
    groups = [v.call_id for v in verdicts]
    predicted = np.zeros(len(verdicts))
    for train, test in GroupKFold(n_splits=folds).split(x, y, groups):
        predicted[test] = LogisticRegression(C=1e6, max_iter=1000).fit(x[train], y[train]).predict_proba(x[test])[:, 1]
    return [float(p) for p in predicted]


def crossing(pairs: Sequence[tuple[float, bool]]) -> float:
    """Where a logistic of P(right) on the word probability crosses 0.5."""
    x = np.array([[p] for p, _ in pairs])
    model = LogisticRegression(C=1e6, max_iter=1000).fit(x, [y for _, y in pairs])
    return float(-model.intercept_[0] / model.coef_[0][0])


def review_split(verdicts: Sequence[Verdict], after: Sequence[float], below: float, low_word_p: float) -> str:
    """Agreement of the verdicts `confidence.to_review` marks, and of the others."""
    figures = confidence.Calibration(low_word_p, 0.0, 0.0, 0.0, 0.0, below, 0.0)
    marked = [confidence.to_review(p, v.basis, figures) for p, v in zip(after, verdicts)]
    flagged = [v.agrees for v, m in zip(verdicts, marked) if m]
    kept = [v.agrees for v, m in zip(verdicts, marked) if not m]

    def share(ys: list[bool]) -> str:
        return f"{np.mean(ys):.3f}" if ys else "-"

    return (f"marked: {len(flagged)} verdicts, agreement {share(flagged)}; "
            f"not marked: {len(kept)}, agreement {share(kept)}")


def review_below(verdicts: Sequence[Verdict]) -> float:
    """The confidence under which a verdict is at least twice as likely wrong as the average
    labelled verdict: 1 - 2 x (1 - observed agreement)."""
    return 1.0 - 2.0 * (1.0 - float(np.mean([v.agrees for v in verdicts])))


def outcome_threshold(outcomes: Sequence[tuple[float, bool]], target: float = 0.9) -> float | None:
    """The lowest probability on a 0.05 grid from which the outcomes at or above it agree with
    their labels at least `target` of the time (None when no such point). A grid, not the
    calls' own probabilities, so that the threshold does not sit on one call."""
    for t in np.arange(0.05, 1.0, 0.05):
        shown = [y for p, y in outcomes if p >= t]
        if shown and np.mean(shown) >= target:
            return round(float(t), 2)
    return None


def unique(verdicts: Iterable[Verdict]) -> list[Verdict]:
    """One verdict per call and criterion: both rubrics share criteria, scored the same way."""
    seen: dict[tuple[str, str], Verdict] = {}
    for v in verdicts:
        seen.setdefault((v.call_id, v.criterion), v)
    return list(seen.values())


def language_report(verdicts: Sequence[Verdict], model: str, language: str) -> str:
    """Agreement of a language's verdicts by kind, and the confidence the English calibration gives
    them (before) against the language's ceiling (`confidence.language_ceiling`, after), each
    call's ceiling counted on the other calls (leave one call out)."""
    calibration = confidence.calibration_for(model)
    counts = {absent: (sum(v.agrees for v in verdicts if v.absent == absent), sum(v.absent == absent for v in verdicts))
              for absent in (True, False)}
    lines = [f"## {language}: {len(verdicts)} labelled passes and fails on {len({v.call_id for v in verdicts})} calls "
             f"(rubrics {', '.join(RUBRICS)}; model {model})\n",
             "| kind | verdicts | agree | agreement | wrong (call criterion) |", "|---|---|---|---|---|"]
    for absent, name in ((True, "rests on something not said"), (False, "rests on evidence or timing")):
        agree, n = counts[absent]
        wrong = ", ".join(f"{v.call_id} {v.criterion}" for v in verdicts if v.absent == absent and not v.agrees)
        lines.append(f"| {name} | {n} | {agree} | {agree / n if n else math.nan:.3f} | {wrong or '-'} |")
    judged = {"before": [], "after": []}
    for v in verdicts:
        others = [o for o in verdicts if o.call_id != v.call_id and o.absent == v.absent]
        ceiling = (sum(o.agrees for o in others) + 1) / (len(others) + 2)
        judged["before"].append((*confidence.judged(v.basis, calibration), v.agrees))
        judged["after"].append((*confidence.judged(v.basis, calibration, ceiling, v.absent), v.agrees))
    pairs = {name: [(p, y) for p, _, y in rows] for name, rows in judged.items()}
    lines += ["", table("before: the English calibration's confidence", pairs["before"], BINS, "confidence"), "",
              table("after: at most the language's agreement (leave one call out)", pairs["after"], BINS,
                    "confidence"), "", f"Brier before {brier(pairs['before']):.4f}, after {brier(pairs['after']):.4f}"]
    for name, rows in judged.items():
        flagged = [y for _, marked, y in rows if marked]
        lines.append(f"review mark {name}: {len(flagged)} of {len(rows)} verdicts marked (agreement "
                     f"{np.mean(flagged) if flagged else math.nan:.3f}), {sum(not y for y in flagged)} of the "
                     f"{sum(not y for *_, y in rows)} wrong ones among them")
    lines += ["", f"AGREEMENTS[({model!r}, {language!r})] = Agreement(absence={counts[True]}, other={counts[False]})"]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=Path, default=ROOT / "sample_audio")
    parser.add_argument("--field", type=Path, default=ROOT.parent / "shared" / "field-cases",
                        help="field cases folder with expected.json (default ../shared/field-cases; skipped when absent)")
    parser.add_argument("--transcripts-cache", type=Path, default=None)
    parser.add_argument("--model", default=None, help="Whisper model (default: $QA_PIPELINE_MODEL, else base)")
    parser.add_argument("--language", default=ENGLISH,
                        help="the sample calls' language; other than en: only the agreement by kind of verdict and "
                             "the confidence against it (the words are not aligned, the outcome not measured)")
    args = parser.parse_args(argv)
    if args.language != ENGLISH:
        options = asr_options(args.model, "auto", language=args.language)
        pipeline = CallPipeline(PipelineSettings(rubric=load_rubric(RUBRICS[0], args.language), asr_options=options,
                                                 cache_dir=args.transcripts_cache))
        calls = load_labelled_calls(args.sample)
        verdicts = unique(collect("sample", args.sample, calls, pipeline, {}, args.language)[0])
        print(language_report(verdicts, model_label(options), args.language))
        return 0

    pipeline = CallPipeline(PipelineSettings(rubric=load_rubric(RUBRICS[0]), asr_options=asr_options(args.model, "auto"),
                                             cache_dir=args.transcripts_cache))
    sample_calls = load_labelled_calls(args.sample)
    sample_refs = {cid: r for cid in sample_calls if (r := script_reference(cid)) is not None}
    sample, sample_words, outcomes = collect("sample", args.sample, sample_calls, pipeline, sample_refs)
    sample = unique(sample)
    field: list[Verdict] = []
    field_words: list[tuple[float, bool]] = []
    if (args.field / "expected.json").is_file():
        field, field_words, _ = collect("field", args.field, field_calls(args.field), pipeline, field_references())
        field = unique(field)
    else:
        print(f"no {args.field / 'expected.json'}: field cases skipped", file=sys.stderr)

    low_word_p = crossing(sample_words)
    print(f"## Words: P(right) by Whisper probability ({len(sample_words)} sample-call words; "
          f"{len(field_words)} words of the real field calls)\n")
    print(table("sample calls (scripts)", sample_words, WORD_BINS, "word probability"))
    print()
    print(table("real field calls (human transcripts)", field_words, WORD_BINS, "word probability"))
    print(f"\nlow_word_p = {low_word_p:.2f}  (P(right) = 0.5 on the sample calls' words)\n")

    model = fit(sample, low_word_p)
    below = review_below(sample)
    after_cv = cross_validated(sample, low_word_p)
    after_field = list(model.predict_proba(features(field, low_word_p))[:, 1]) if field else []
    print(f"## Verdicts: {len(sample)} labelled passes and fails on {len({v.call_id for v in sample})} sample calls, "
          f"{len(field)} on {len({v.call_id for v in field})} field calls (rubrics {', '.join(RUBRICS)})\n")
    for name, verdicts, after in (("sample calls (after: 5-fold cross-validated by call)", sample, after_cv),
                                  ("field cases (after: fitted on the sample calls only)", field, after_field)):
        if not verdicts:
            continue
        before = [(v.rule_confidence, v.agrees) for v in verdicts]
        now = [(float(p), v.agrees) for p, v in zip(after, verdicts)]
        print(table(f"{name}, before", before, BINS, "confidence"))
        print()
        print(table(f"{name}, after", now, BINS, "confidence"))
        print(f"\nBrier before {brier(before):.4f}, after {brier(now):.4f}; "
              f"observed agreement {np.mean([v.agrees for v in verdicts]):.3f}")
        if len({y for _, y in now}) > 1:
            aucs = [roc_auc_score([y for _, y in pairs], [p for p, _ in pairs]) for pairs in (before, now)]
            print(f"AUC of the confidence for agreement: before {aucs[0]:.3f}, after {aucs[1]:.3f}")
        print(f"review mark, after: {review_split(verdicts, after, below, low_word_p)}\n")
    intercept, (low_w, close_w) = model.intercept_[0], model.coef_[0]
    unknown = features(sample, low_word_p)[:, 0].mean()
    print(f"intercept = {intercept:.2f}\nlow_words_weight = {low_w:.2f}\ncloseness_weight = {close_w:.2f}")
    print(f"review_below = {below:.2f}  (twice the sample calls' rate of wrong verdicts)")
    print(f"unknown_words_feature = {unknown:.2f}  (the first feature's mean)\n")

    print(f"## Outcome: classifier probability against the labelled outcome ({len(outcomes)} sample calls)\n")
    print(table("outcome", outcomes, OUTCOME_BINS, "probability"))
    for t in (0.3, 0.4, 0.5, 0.55, 0.6, 0.7):
        shown = [y for p, y in outcomes if p >= t]
        print(f"shown from {t:.2f}: {len(shown)} of {len(outcomes)} calls, agreement "
              f"{np.mean(shown) if shown else math.nan:.3f}")
    shown_from = outcome_threshold(outcomes)
    print(f"outcome_shown_from = {shown_from}  (the outcomes shown agree with their labels at least 0.9 of the time)")
    print(f"\n## For CALIBRATIONS[{model_label(pipeline.settings.asr_options)!r}]\n")
    print(f"Calibration(low_word_p={low_word_p:.2f}, intercept={intercept:.2f}, low_words_weight={low_w:.2f}, "
          f"closeness_weight={close_w:.2f}, unknown_words_feature={unknown:.2f}, review_below={below:.2f}, "
          f"outcome_shown_from={shown_from})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
