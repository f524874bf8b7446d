"""speaking_pace.v1: the agent does not speak too fast, overall or in any stretch."""

from __future__ import annotations

from dataclasses import dataclass

from qa_pipeline.criteria.common import evidence, not_applicable, seconds
from qa_pipeline.criteria.context import CallContext
from qa_pipeline.criteria.registry import Outcome, register_criterion
from qa_pipeline.records import FAIL, PASS, Utterance
from qa_pipeline.timing import spoken_words, union_length


@dataclass(frozen=True)
class PaceParams:
    """Words per minute over the agent's own speech time (the union of their utterances).

    `max_wpm` bounds the whole call; `stretch_max_wpm` bounds every stretch of agent
    utterances starting within `stretch_window_s` of each other that holds at least
    `stretch_min_speech_s` of speech. Calls with under `min_speech_s` of agent speech are
    `not_applicable`.
    """

    max_wpm: float
    stretch_max_wpm: float
    stretch_window_s: float = 30.0
    stretch_min_speech_s: float = 10.0
    min_speech_s: float = 10.0
    # "words", or "characters" for a language written without spaces (Japanese: kana and
    # kanji a minute; the limits are then characters per minute).
    unit: str = "words"


@dataclass(frozen=True)
class Rate:
    """`words` spoken in `speech_s` seconds of speech by utterances `indices`."""

    indices: tuple[int, ...]
    words: int
    speech_s: float

    @property
    def wpm(self) -> float:
        return self.words / (self.speech_s / 60.0) if self.speech_s > 0 else 0.0


def word_count(utterance: Utterance, unit: str = "words") -> int:
    """Words (Whisper's, else the text's), or, with `unit` "characters", letters of the text."""
    if unit == "characters":
        return sum(1 for c in utterance.text if c.isalnum())
    return len(utterance.words) if utterance.words else len(spoken_words(utterance.text))


def rate_of(ctx: CallContext, indices: tuple[int, ...], unit: str = "words") -> Rate:
    spans = [(ctx.utterances[i].start, ctx.utterances[i].end) for i in indices]
    return Rate(indices, sum(word_count(ctx.utterances[i], unit) for i in indices), union_length(spans))


def fastest_stretch(ctx: CallContext, params: PaceParams) -> Rate | None:
    """The agent stretch with the highest rate among those long enough to judge, or None."""
    agent = ctx.agent_indices()
    best: Rate | None = None
    for k, i in enumerate(agent):
        start = ctx.utterances[i].start
        stretch = rate_of(ctx, tuple(j for j in agent[k:] if ctx.utterances[j].start < start + params.stretch_window_s),
                          params.unit)
        if stretch.speech_s >= params.stretch_min_speech_s and (best is None or stretch.wpm > best.wpm):
            best = stretch
    return best


@register_criterion("speaking_pace.v1", params=PaceParams, needs_roles=True)
def speaking_pace(ctx: CallContext, params: PaceParams) -> Outcome:
    """Pass when the agent's rate stays at or under `max_wpm` overall and `stretch_max_wpm` in every stretch."""
    overall = rate_of(ctx, ctx.agent_indices(), params.unit)
    per = ctx._("wpm") if params.unit == "words" else ctx._("characters/min")
    if overall.speech_s < params.min_speech_s:
        return not_applicable(ctx._("only {speech} of agent speech; the pace needs {needs} s").format(
            speech=seconds(overall.speech_s), needs=f"{params.min_speech_s:g}"))
    stretch = fastest_stretch(ctx, params)
    where = ""
    if stretch is not None:
        first, last = ctx.utterances[stretch.indices[0]], ctx.utterances[stretch.indices[-1]]
        where = ctx._("fastest {window} s stretch {rate} {per} at {start}-{end}").format(
            window=f"{params.stretch_window_s:g}", rate=f"{stretch.wpm:.0f}", per=per, start=seconds(first.start),
            end=seconds(last.end))
    cited = evidence(ctx, *(stretch.indices if stretch else overall.indices)[:4])
    too_fast_overall = overall.wpm > params.max_wpm
    too_fast_stretch = stretch is not None and stretch.wpm > params.stretch_max_wpm
    summary = ctx._("agent {rate} {per} over {speech} of speech").format(
        rate=f"{overall.wpm:.0f}", per=per, speech=seconds(overall.speech_s)) + (f"; {where}" if where else "")
    limits = {"overall": f"{params.max_wpm:g}", "stretch": f"{params.stretch_max_wpm:g}"}
    if too_fast_overall or too_fast_stretch:
        detail = ctx._("too fast: {summary} (limits {overall} overall, {stretch} per stretch)").format(summary=summary, **limits)
        return Outcome(FAIL, 0.8, cited, detail)
    detail = ctx._("{summary} (limits {overall} / {stretch})").format(summary=summary, **limits)
    return Outcome(PASS, 0.8, cited, detail)
