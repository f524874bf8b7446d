"""Labelled sales calls as text (data/sales/<split>/<industry>.yaml), for training and measuring
the status classifier:

    schema: qa-pipeline.sales-calls/1
    industry: office printers
    call_date: "2026-03-09"          # the default call date of the file's calls
    calls:
      - id: printers-busy
        status: bad_timing
        next_contact: "2026-04-06"   # optional: the expected date, or null
        turns: ["C: Hello, Marsh Dental.", "A: Hi, this is Dana from ...", ...]

A split's industries are its own: the held-out measurement trains on one split's
industries and tests on another's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qa_pipeline.errors import ConfigError
from qa_pipeline.records import AGENT, CUSTOMER, Transcript, Utterance
from qa_pipeline.sales.model import SALES_CALLS_SCHEMA

SECONDS_PER_WORD = 0.35  # ~170 words per minute, a conversational rate, for the text calls' timing
PAUSE_S = 0.4


@dataclass(frozen=True)
class SalesCall:
    """One labelled text call."""

    id: str
    industry: str
    status: str
    call_date: str
    turns: tuple[str, ...]
    next_contact: str | None = None

    def transcript(self) -> Transcript:
        """The call as a two-channel transcript, turns one after another at a conversational pace."""
        utterances, t = [], 0.5
        for turn in self.turns:
            who, text = turn.split(":", 1)
            end = t + SECONDS_PER_WORD * len(text.split())
            utterances.append(Utterance(AGENT if who.strip() == "A" else CUSTOMER, round(t, 2), round(end, 2),
                                        text.strip()))
            t = end + PAUSE_S
        return Transcript(tuple(utterances), duration_s=t + 1.0, channels=2)


def load_calls(directory: str | Path) -> tuple[SalesCall, ...]:
    """Every call of the YAML files in `directory` (sorted by file name); `ConfigError` on a defect."""
    import yaml

    calls = []
    for path in sorted(Path(directory).glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("schema") != SALES_CALLS_SCHEMA:
            raise ConfigError(f"{path}: expected schema {SALES_CALLS_SCHEMA}")
        for index, call in enumerate(data.get("calls") or []):
            calls.append(_call(call, data, f"{path}: calls[{index}]"))
    if not calls:
        raise ConfigError(f"{directory}: no sales calls found")
    return tuple(calls)


def _call(call: dict, file: dict, where: str) -> SalesCall:
    turns = call.get("turns")
    if not isinstance(turns, list) or not all(isinstance(t, str) and t[:2] in ("A:", "C:") for t in turns):
        raise ConfigError(f"{where}: turns must be lines starting with 'A:' (agent) or 'C:' (customer)")
    try:
        return SalesCall(str(call["id"]), str(file["industry"]), str(call["status"]),
                         str(call.get("call_date", file.get("call_date"))), tuple(turns),
                         None if call.get("next_contact") is None else str(call["next_contact"]))
    except KeyError as exc:
        raise ConfigError(f"{where}: missing {exc}") from None

