"""hold_etiquette.v1: permission and a time before a hold, thanks after it.

A hold is found from the transcript's timing, not from new audio analysis: a mid-call
gap in all speech after which the agent speaks first. A short gap counts when the
agent announced it ("let me check", "bear with me"); a long one counts on its own (a
silent search, or hold music Whisper leaves untranscribed).
"""

from __future__ import annotations

from dataclasses import dataclass

from qa_pipeline import nlp
from qa_pipeline.criteria.common import evidence, not_applicable, seconds
from qa_pipeline.criteria.context import CallContext
from qa_pipeline.criteria.i18n import N_
from qa_pipeline.criteria.registry import Outcome, register_criterion
from qa_pipeline.records import AGENT, FAIL, PASS
from qa_pipeline.timing import speech_intervals, spoken_words


@dataclass(frozen=True)
class HoldParams:
    """Phrase lists as in the rubric; "*" is any one word.

    A gap of at least `announced_gap_s` after an agent utterance holding one of
    `hold_phrases`, or of at least `silent_gap_s` after anything, is a hold when the agent
    speaks first after it. `permission_phrases` and `duration_phrases` are looked for in
    the agent's speech within `before_window_s` before the hold; `thanks_phrases` within
    `after_window_s` after it. Utterances made only of `non_speech_words` ("[Music]")
    are not speech.
    """

    hold_phrases: tuple[str, ...]
    permission_phrases: tuple[str, ...]
    duration_phrases: tuple[str, ...]
    thanks_phrases: tuple[str, ...]
    announced_gap_s: float = 3.5
    silent_gap_s: float = 8.0
    before_window_s: float = 20.0
    after_window_s: float = 15.0
    non_speech_words: tuple[str, ...] = ("music",)


@dataclass(frozen=True)
class Hold:
    """Silence from `start` to `end`; `before` is the agent's last utterance before it
    (None when the agent had not spoken yet), `after` the agent's first one after it."""

    start: float
    end: float
    before: int | None
    after: int
    announced: bool

    @property
    def length_s(self) -> float:
        return self.end - self.start


def find_holds(ctx: CallContext, params: HoldParams) -> list[Hold]:
    """Mid-call holds, in order.

    Gaps are measured between word-level speech intervals, not utterance spans: Whisper
    segments can run on over a pause (a caller's turn "spanning" the agent's hold).
    """
    spans = sorted((a, b, i) for i, u in enumerate(ctx.utterances) if _is_speech(u.text, params)
                   for a, b in speech_intervals(u))
    holds, reach, last_agent = [], None, None
    for start, end, i in spans:
        if reach is not None and ctx.utterances[i].speaker == AGENT and last_agent is not None:
            gap = start - reach
            announced = bool(nlp.find_phrases(ctx.docs[last_agent], params.hold_phrases))
            if gap >= params.silent_gap_s or (announced and gap >= params.announced_gap_s):
                holds.append(Hold(reach, start, last_agent, i, announced))
        reach = end if reach is None else max(reach, end)
        if ctx.utterances[i].speaker == AGENT:
            last_agent = i
    return holds


def _is_speech(text: str, params: HoldParams) -> bool:
    words = spoken_words(text)
    return bool(words) and not all(w in params.non_speech_words for w in words)


def _said(ctx: CallContext, indices: list[int], phrases: tuple[str, ...]) -> int | None:
    return next((i for i in indices if nlp.find_phrases(ctx.docs[i], phrases)), None)


def check_hold(ctx: CallContext, hold: Hold, params: HoldParams, since: float) -> tuple[list[str], list[int]]:
    """What the agent left out around `hold` (empty when done well) and the utterances cited."""
    agent = ctx.agent_indices()
    # An utterance Whisper ran on over the hold counts on both sides of it.
    lead_in = [i for i in agent if ctx.utterances[i].start <= hold.start
               and ctx.utterances[i].end >= max(since, hold.start - params.before_window_s)]
    after = [i for i in agent if ctx.utterances[i].end >= hold.end
             and ctx.utterances[i].start <= hold.end + params.after_window_s]
    permission = _said(ctx, lead_in, params.permission_phrases)
    duration = _said(ctx, lead_in, params.duration_phrases)
    thanks = _said(ctx, after, params.thanks_phrases)
    missing = [ctx._(what) for what, found in ((N_("no permission asked"), permission), (N_("no time given"), duration),
                                              (N_("no thanks for waiting"), thanks)) if found is None]
    cited = sorted({i for i in (permission, duration, hold.before, hold.after, thanks) if i is not None})
    return missing, cited


@register_criterion("hold_etiquette.v1", params=HoldParams, needs_roles=True)
def hold_etiquette(ctx: CallContext, params: HoldParams) -> Outcome:
    """Pass when every hold is preceded by a permission question and a time, and followed by thanks."""
    holds = find_holds(ctx, params)
    if not holds:
        return not_applicable(ctx._("no hold: no mid-call gap of {silent} s, nor of {announced} s after an announced pause")
                              .format(silent=f"{params.silent_gap_s:g}", announced=f"{params.announced_gap_s:g}"))
    notes, cited, faults, since = [], [], 0, 0.0
    for hold in holds:
        missing, indices = check_hold(ctx, hold, params, since)
        since = hold.end
        faults += bool(missing)
        cited += indices
        verdict = "; ".join(missing) if missing else ctx._("permission, time and thanks given")
        notes.append(ctx._("hold {start}-{end} ({length} s): {verdict}").format(
            start=seconds(hold.start), end=seconds(hold.end), length=f"{hold.length_s:.0f}", verdict=verdict))
    detail = ", ".join(notes)
    return Outcome(FAIL if faults else PASS, 0.75, evidence(ctx, *dict.fromkeys(cited)), detail)
