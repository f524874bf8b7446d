"""Is there speech to score? Per recording and per channel.

A recording with no speech on any channel (digital silence, line noise, a tone, speech
too quiet to recognise) is no call: it gets no scorecard but a `RecordingError` with the
reason `no speech detected`. Whisper's voice-activity filter (Silero VAD) is what finds
speech; a channel carries speech when words were recognised on it.

On a stereo call one channel can carry nothing: the customer's leg was not recorded,
or the agent is on the other channel than the setting says. The call is still scored;
the card warns which channel is empty, and `Transcript.missing` names the speaker, so
criteria that need that speaker are `not_applicable` with the reason rather than `fail`.

A leg whose partner is empty still carries the partner's echo, quietly: the usual
crosstalk rule (`qa_pipeline.speech.crosstalk`) compares the two channels and so cannot
see it. `suppress_lone_echo` drops words far below the leg's own speech level instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from qa_pipeline.catalogues import N_
from qa_pipeline.errors import RecordingError
from qa_pipeline.records import AGENT, CUSTOMER, Audio, Transcript, Word
from qa_pipeline.speech.crosstalk import FRAME_S, frame_levels_db

NO_SPEECH = "no speech detected"
# Echo of the far end sits well below the near speaker's own voice (30 dB on the field
# case F14; leaks of 15-30 dB are what `crosstalk` handles); a word this far below the
# channel's own speech level is taken for echo.
# Measured: on F14 the agent's words peak 15-31 dB, the echo 47-56 dB below full scale;
# on a test clip with a 15 dB leak the echo peaks 22 dB below the speaker's level.
ECHO_BELOW_DB = 18.0
# The channel's own speech level: this percentile of its words' peak levels.
SPEECH_LEVEL_PERCENTILE = 90
WORD_PAD_S = 0.25
_SIDES = {0: N_("channel {channel} (left)"), 1: N_("channel {channel} (right)")}


def suppress_lone_echo(words: Sequence[Sequence[Word]], channels: Sequence[np.ndarray],
                       sample_rate: int) -> tuple[tuple[Word, ...], ...]:
    """Drop echo words from a channel whose partner channel has no words at all.

    `words[i]` are the words recognised on `channels[i]`. A word whose peak level is
    more than `ECHO_BELOW_DB` below the channel's speech level (the 90th percentile of
    its words' peak levels) is echo. With words on both channels, or on neither, or for
    anything but two channels, the words come back unchanged.
    """
    if len(words) != 2 or len(channels) != 2 or bool(words[0]) == bool(words[1]):
        return tuple(tuple(w) for w in words)
    own = 0 if words[0] else 1
    frame = max(1, int(FRAME_S * sample_rate))
    levels = frame_levels_db(channels[own], frame)
    word_levels = np.array([_word_level_db(w, levels, sample_rate / frame) for w in words[own]])
    reference = float(np.percentile(word_levels, SPEECH_LEVEL_PERCENTILE))
    kept = tuple(w for w, level in zip(words[own], word_levels) if level >= reference - ECHO_BELOW_DB)
    return (kept, ()) if own == 0 else ((), kept)


def _word_level_db(word: Word, levels: np.ndarray, frame_rate: float) -> float:
    """The loudest frame over the word widened by `WORD_PAD_S` each side: Whisper places
    a word's edges loosely, and a quiet syllable beside a loud one is the same voice."""
    first = max(0, int((word.start - WORD_PAD_S) * frame_rate))
    last = min(len(levels), max(first + 1, int(np.ceil((word.end + WORD_PAD_S) * frame_rate))))
    span = levels[first:last]
    return float(span.max()) if span.size else float(levels.min(initial=0.0))


def check_speech(transcript: Transcript, audio: Audio) -> Transcript:
    """The transcript with an empty channel named in `missing` and in `warnings`.

    Raises `RecordingError` with the reason `no speech detected` when no words were
    recognised on any channel. A mono transcript, or one with speech on both channels,
    comes back unchanged.
    """
    if not transcript.utterances:
        raise RecordingError(audio.path, NO_SPEECH)
    diarized = transcript.roles is not None and transcript.roles.source == "diarization"
    if not transcript.roles_known or len(audio.channels) != 2 or diarized:
        return transcript
    spoken = {u.channel: u.speaker for u in transcript.utterances if u.channel is not None}
    if len(spoken) != 1:
        return transcript
    (heard, heard_role), = spoken.items()
    empty, role = 1 - heard, (CUSTOMER if heard_role == AGENT else AGENT)
    reason, warning = empty_channel_reason(empty, role)
    return replace(transcript, warnings=(*transcript.warnings, warning),
                   missing={**transcript.missing, role: reason})


def empty_channel_reason(channel: int, role: str) -> tuple[str, str]:
    """Why a stereo channel counts as missing (for criteria), and the card's warning."""
    where = channel_name(channel)
    if role == AGENT:
        reason = N_("the agent's channel, {channel}, carries no speech").format(channel=where)
        return reason, N_("{reason}: the agent's leg may not have been recorded, or, with a fixed --agent-channel "
                          "0|1, the agent may be on the other channel (the default, auto, picks the channel from "
                          "what is said)").format(reason=reason)
    reason = N_("the customer's channel, {channel}, carries no speech").format(channel=where)
    return reason, N_("{reason} (not recorded?): criteria that need the customer's words are not applicable").format(
        reason=reason)


def channel_name(channel: int) -> str:
    """Stereo channel 0 or 1 as a supervisor names it: "channel 0 (left)"."""
    return _SIDES[channel].format(channel=channel)
