"""Scorecard outputs: JSON per call, a self-contained HTML page per call, summary.csv, errors.json.

The JSON is exactly `qa_pipeline.contract.scorecard_to_dict` (documented in docs/scorecard.md).
Building the HTML view is pure (`scorecard_view`); the `write_*` functions are the disk edge.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qa_pipeline import report_i18n, safe_csv
from qa_pipeline.contract import scorecard_to_dict
from qa_pipeline.errors import ConfigError
from qa_pipeline.files import write_atomic  # temporary file, fsync, rename
from qa_pipeline.records import Evidence, Scorecard, Utterance
from qa_pipeline.redaction.scorecard import ensure_redacted, redact_text

SUMMARY_CSV = "summary.csv"
ERRORS_JSON = "errors.json"
# Present while a run writes into the folder; left behind by a run that did not finish.
RUN_MARKER = "run-incomplete.json"
SUMMARY_FIXED_COLUMNS = (
    "call_id", "recording", "agent_id", "call_time", "duration_s", "score", "interruptions", "outcome",
    "needs_review",
)


@dataclass(frozen=True)
class Failure:
    """A recording that could not be scored, and why (one line)."""

    recording: str
    reason: str


def clock(seconds: float | None) -> str:
    """Seconds as m:ss.s (h:mm:ss.s past an hour), the way a supervisor finds the spot in an audio
    player; "" for None. The one clock format of every output: scorecard HTML, the review app,
    `qa-pipeline transcribe`."""
    if seconds is None:
        return ""
    minutes, secs = divmod(max(0.0, float(seconds)), 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}:{minutes:02d}:{secs:04.1f}" if hours else f"{minutes}:{secs:04.1f}"


# ---------------------------------------------------------------- JSON / CSV / errors


def scorecard_json(card: Scorecard) -> str:
    return json.dumps(scorecard_to_dict(card), indent=2, ensure_ascii=False) + "\n"


def criterion_columns(cards: Iterable[Scorecard]) -> list[str]:
    """Criterion ids in the order they first appear across the cards."""
    seen: dict[str, None] = {}
    for card in cards:
        for result in card.criteria:
            seen.setdefault(result.id, None)
    return list(seen)


def summary_row(card: Scorecard, criteria: Sequence[str]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "call_id": card.call_id,
        "recording": card.recording,
        "agent_id": card.agent_id or "",
        "call_time": card.call_time or "",
        "duration_s": round(card.duration_s, 1),
        "score": "" if card.score is None else round(card.score, 1),
        "interruptions": card.metrics.interruptions,
        "outcome": card.outcome or "",
        "needs_review": " ".join(card.needs_review),
    }
    for criterion_id in criteria:
        result = card.result(criterion_id)
        row[criterion_id] = result.verdict if result else ""
    return row


def criterion_titles(cards: Iterable[Scorecard]) -> dict[str, str]:
    """Criterion id -> its title as the rubric words it (the id when the rubric gives none)."""
    titles: dict[str, str] = {}
    for card in cards:
        for result in card.criteria:
            titles.setdefault(result.id, result.label)
    return titles


def summary_csv(cards: Sequence[Scorecard]) -> str:
    """One row per call: the fixed columns, then one verdict column per criterion, headed by its title.

    Cells that a spreadsheet would run as a formula are neutralised (see `qa_pipeline.safe_csv`).
    """
    criteria = criterion_columns(cards)
    titles = criterion_titles(cards)
    out = io.StringIO()
    writer = safe_csv.DictWriter(out, fieldnames=[*SUMMARY_FIXED_COLUMNS, *criteria], lineterminator="\n")
    writer.writerow({**{c: c for c in SUMMARY_FIXED_COLUMNS}, **{c: titles[c] for c in criteria}})
    for card in cards:
        writer.writerow(summary_row(card, criteria))
    return out.getvalue()


def errors_json(failures: Sequence[Failure]) -> str:
    items = [{"recording": f.recording, "reason": f.reason} for f in failures]
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------- HTML view model


def _overlap(a_start: float, a_end: float, b_start: float, b_end: float) -> float:
    return min(a_end, b_end) - max(a_start, b_start)


def evidence_line(evidence: Evidence, utterances: Sequence[Utterance]) -> int | None:
    """Index of the transcript line the evidence points at: same speaker, most overlap in time."""
    candidates = [i for i, u in enumerate(utterances) if u.speaker == evidence.speaker] or list(range(len(utterances)))
    if not candidates:
        return None

    def closeness(i: int) -> tuple[float, float]:
        u = utterances[i]
        return (_overlap(u.start, u.end, evidence.start, evidence.end), -abs(u.start - evidence.start))

    return max(candidates, key=closeness)


def _span_in(text: str, quote: str) -> tuple[int, int] | None:
    quote = quote.strip()
    at = text.lower().find(quote.lower()) if quote else -1
    return None if at < 0 else (at, at + len(quote))


_CSS_PRIORITY = ("fail", "pass", "not_applicable")


def highlight_segments(text: str, marks: Sequence[tuple[int, int, str, str]]) -> list[dict[str, Any]]:
    """Split a line into plain and highlighted pieces; where marks overlap, a piece carries all their titles."""
    covering: list[tuple[tuple[str, str], ...]] = [
        tuple(sorted({(title, css) for start, end, title, css in marks if start <= i < end})) for i in range(len(text))
    ]
    pieces: list[dict[str, Any]] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i < len(text) and covering[i] == covering[start]:
            continue
        labels = covering[start]
        piece: dict[str, Any] = {"text": text[start:i], "mark": bool(labels)}
        if labels:
            kinds = {css for _, css in labels}
            piece["title"] = "; ".join(title for title, _ in labels)
            piece["css"] = next((c for c in _CSS_PRIORITY if c in kinds), labels[0][1])
        pieces.append(piece)
        start = i
    return pieces


def _title_verdict(verdict: str, gettext_: Callable[[str], str]) -> str:
    """A verdict in a highlight's tooltip: its word in the card's language where a catalogue
    translates it, else the verdict id (as English cards have always read)."""
    word = report_i18n.VERDICTS.get(verdict, verdict)
    translated = gettext_(word)
    return verdict if translated == word else translated


def scorecard_view(card: Scorecard) -> dict[str, Any]:
    """Everything the HTML template shows, with evidence tied to transcript lines."""
    utterances = card.transcript.utterances
    language = card.transcript.language or "en"
    verdict = functools.partial(_title_verdict, gettext_=report_i18n.translation(language).gettext)
    marks: dict[int, list[tuple[int, int, str, str]]] = {}
    criteria = []
    for result in card.criteria:
        rows = []
        for evidence in result.evidence:
            line = evidence_line(evidence, utterances)
            if line is not None:
                text = utterances[line].text
                start, end = _span_in(text, evidence.text) or (0, len(text))
                marks.setdefault(line, []).append((start, end, f"{result.label}: {verdict(result.verdict)}", result.verdict))
            rows.append({"evidence": evidence, "line": line})
        criteria.append({"result": result, "evidence": rows})
    lines = [
        {"index": i, "utterance": u, "segments": highlight_segments(u.text, marks.get(i, ())), "cited": i in marks,
         "cited_by": sorted({title for _, _, title, _ in marks.get(i, ())})}
        for i, u in enumerate(utterances)
    ]
    sales = card.sales
    sales_rows = {"status": [], "next_contact": []} if sales is None else {
        "status": [{"evidence": e, "line": evidence_line(e, utterances)} for e in sales.status_evidence],
        "next_contact": [{"evidence": e, "line": evidence_line(e, utterances)}
                         for e in (sales.next_contact.evidence if sales.next_contact else ())],
    }
    return {"card": card, "criteria": criteria, "lines": lines, "sales_rows": sales_rows, "language": language}


def _data_word(value: str, words: dict[str, str], gettext_: Callable[[str], str]) -> str:
    """A verdict or speaker id (`report_i18n.VERDICTS`, `SPEAKERS`) as its word in the card's language;
    an unlisted id (and an empty one: gettext gives "" the catalogue's header) as it is."""
    return gettext_(words[value]) if value in words else value


# One environment per language, its translations installed (Jinja2's i18n extension): then
# only read, so threads writing cards in several languages share them (`cache` may build one
# twice in a race; both are equal, and one is kept).
@functools.cache
def _template(language: str):
    try:
        import jinja2
    except ImportError as exc:  # jinja2 is small, but not needed for JSON/CSV output
        raise RuntimeError("the HTML scorecard needs jinja2: pip install jinja2") from exc
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("qa_pipeline", "templates"),  # package data, also in a wheel
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    translation = report_i18n.translation(language)
    env.install_gettext_translations(translation, newstyle=True)  # type: ignore[attr-defined]
    env.filters["clock"] = clock
    # Words from data come back as plain text, escaped like any value (`_()` returns safe HTML).
    env.filters["verdict"] = functools.partial(_data_word, words=report_i18n.VERDICTS, gettext_=translation.gettext)
    env.filters["speaker"] = functools.partial(_data_word, words=report_i18n.SPEAKERS, gettext_=translation.gettext)
    return env.get_template("scorecard.html")


def scorecard_html(card: Scorecard) -> str:
    """A self-contained HTML page (inline CSS, no scripts, no external assets), its own words
    in the call's language (`report_i18n`; English where that language has no catalogue)."""
    view = scorecard_view(card)
    language = view["language"] if view["language"] in report_i18n.CATALOGUE_LANGUAGES else "en"
    return _template(language).render(**view)


# ---------------------------------------------------------------- writers (disk edge)


def write_call_outputs(card: Scorecard, out_dir: str | Path, stem: str) -> tuple[Path, Path]:
    """Write `<stem>.json` and `<stem>.html` into `out_dir`; returns both paths.

    Each is written to a temporary file and renamed (`files.write_atomic`): a full disk
    or a killed run leaves the previous card whole, never half a file."""
    card = ensure_redacted(card)  # a no-op for a card the batch already redacted
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    html = scorecard_html(card)  # rendered before anything is written
    return write_atomic(out / f"{stem}.json", scorecard_json(card)), write_atomic(out / f"{stem}.html", html)


def _redacted(failures: Sequence[Failure]) -> list[Failure]:
    return [Failure(f.recording, redact_text(f.reason)) for f in failures]


class RunOutputs:
    """The batch-level files of a run into one `--out` folder, kept current as calls finish.

    - `RUN_MARKER` is written when the run starts and removed by `finish`: a folder that
      still holds it after the run is over was written by a run that was killed or died.
    - errors.json lists the failures of this run, plus those of earlier runs into the
      folder for recordings this run does not retry; it is rewritten on every failure.
    - summary.csv has a row for every scorecard in the folder (`<stem>.json`), earlier
      runs' included, sorted by file name; `add_card` rewrites it (each card is parsed
      once per run).

    Every file is written atomically. Safe to call from several threads.
    """

    def __init__(self, out_dir: str | Path, recordings: Iterable[str] = ()) -> None:
        """Start a run into `out_dir` that scores `recordings` (paths as `Failure.recording`
        gives them). Create it before the first call: writing the marker and errors.json
        checks the folder, and an unwritable or full one raises `ConfigError` at once."""
        self.out = Path(out_dir)
        self._lock = threading.Lock()
        self._rows: dict[str, tuple[int, Scorecard | None]] = {}  # card file -> (mtime ns, card)
        self.previous_run = read_marker(self.out)
        retried = {str(r) for r in recordings}
        self._failures = [f for f in read_errors(self.out) if f.recording not in retried]
        marker = {"started_at": datetime.now(UTC).isoformat(timespec="seconds"), "pid": os.getpid()}
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            write_atomic(self.out / RUN_MARKER, json.dumps(marker) + "\n")
            write_atomic(self.out / ERRORS_JSON, errors_json(self._failures))
        except OSError as exc:
            raise ConfigError(f"output folder {self.out}: cannot write ({exc.strerror or exc})") from exc

    def add_failure(self, failure: Failure) -> None:
        """Record a failed call in errors.json now (its reason redacted)."""
        with self._lock:
            self._failures = [f for f in self._failures if f.recording != failure.recording]
            self._failures += _redacted([failure])
            write_atomic(self.out / ERRORS_JSON, errors_json(self._failures))

    def add_card(self) -> None:
        """Rewrite summary.csv over every card in the folder (call after `write_call_outputs`)."""
        with self._lock:
            write_atomic(self.out / SUMMARY_CSV, summary_csv(self._folder_cards()))

    def finish(self) -> None:
        """Write the final summary.csv and errors.json, then remove the run marker."""
        with self._lock:
            write_atomic(self.out / SUMMARY_CSV, summary_csv(self._folder_cards()))
            write_atomic(self.out / ERRORS_JSON, errors_json(self._failures))
            with contextlib.suppress(FileNotFoundError):
                (self.out / RUN_MARKER).unlink()

    @property
    def failures(self) -> tuple[Failure, ...]:
        return tuple(self._failures)

    def _folder_cards(self) -> list[Scorecard]:
        cards = []
        for path in sorted(self.out.glob("*.json")):
            if path.name in (ERRORS_JSON, RUN_MARKER):
                continue
            try:
                mtime = path.stat().st_mtime_ns
            except OSError:
                continue
            cached = self._rows.get(path.name)
            if cached is None or cached[0] != mtime:
                cached = (mtime, _read_card(path))
                self._rows[path.name] = cached
            if cached[1] is not None:
                cards.append(cached[1])
        return cards


def _read_card(path: Path) -> Scorecard | None:
    """The scorecard a `<stem>.json` holds; None for any other JSON file (or a damaged one)."""
    from qa_pipeline.contract import scorecard_from_dict

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return scorecard_from_dict(data) if isinstance(data, dict) and "criteria" in data else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def read_marker(out_dir: str | Path) -> dict | None:
    """The run marker a run left in `out_dir` (`RUN_MARKER`: started_at, pid), or None."""
    try:
        return json.loads((Path(out_dir) / RUN_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def read_errors(out_dir: str | Path) -> list[Failure]:
    """The failures errors.json in `out_dir` lists (none when it is missing or damaged)."""
    try:
        items = json.loads((Path(out_dir) / ERRORS_JSON).read_text(encoding="utf-8"))
        return [Failure(str(i["recording"]), str(i["reason"])) for i in items]
    except (OSError, ValueError, KeyError, TypeError):
        return []
