"""Mono test calls made from stereo ones, and the diarization error rate against the channels.

A stereo call with one speaker per channel gives a mono call with a known answer: the
mixdown is the mean of the two channels, and each channel's own speech activity
(`speech_activity.own_speech_frames`, which ignores the crosstalk leak) says who spoke
when. DER is computed with pyannote.metrics (extra `diarize`), the reference
implementation of the NIST definition: (missed speech + false alarm + speaker
confusion) / reference speech, after the optimal mapping of speakers to references.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

import numpy as np

from qa_pipeline.errors import ConfigError
from qa_pipeline.records import AGENT, CUSTOMER, Audio, Transcript
from qa_pipeline.speech.crosstalk import FRAME_S
from qa_pipeline.speech.diarization import SpeakerTurn, speech_spans
from qa_pipeline.speech.speech_activity import own_speech_frames

# pyannote's collar is the whole width removed around each reference boundary:
# 0.5 s here is +-0.25 s, the NIST md-eval "0.25 s collar".
DER_COLLAR_S = 0.5


def mix_to_mono(audio: Audio) -> Audio:
    """The recording with its channels averaged into one (a mono call); mono stays as is."""
    if len(audio.channels) == 1:
        return audio
    mixed = np.mean(np.stack(audio.channels), axis=0).astype(np.float32)
    return replace(audio, channels=(mixed,))


def reference_turns(audio: Audio, agent_channel: int = 0) -> tuple[SpeakerTurn, ...]:
    """Who spoke when, from a stereo call's channels: speakers `agent` and `customer`."""
    if len(audio.channels) != 2:
        raise ValueError("reference turns need a two-channel recording")
    roles = {agent_channel: AGENT, 1 - agent_channel: CUSTOMER}
    turns = [
        SpeakerTurn(roles[ch], start, end)
        for ch in (0, 1)
        for start, end in speech_spans(
            own_speech_frames(audio.channels[ch], audio.channels[1 - ch], audio.sample_rate), FRAME_S)
    ]
    return tuple(sorted(turns, key=lambda t: (t.start, t.end)))


def transcript_turns(transcript: Transcript) -> tuple[SpeakerTurn, ...]:
    """The transcript's word spans as turns of its speaker roles (role-attributed speech)."""
    return tuple(SpeakerTurn(u.speaker, w.start, w.end) for u in transcript.utterances for w in u.words)


def diarization_error_rate(reference: Sequence[SpeakerTurn], hypothesis: Sequence[SpeakerTurn],
                           collar_s: float = DER_COLLAR_S) -> float:
    """DER (0-1) of `hypothesis` against `reference`; speaker labels are mapped optimally."""
    metric = _der_metric(collar_s)
    ref, hyp = _annotation(reference), _annotation(hypothesis)
    return float(metric(ref, hyp, uem=_extent(ref, hyp)))


def total_der(pairs: Iterable[tuple[Sequence[SpeakerTurn], Sequence[SpeakerTurn]]],
              collar_s: float = DER_COLLAR_S) -> float:
    """DER over many calls, weighted by reference speech (pyannote's accumulated value)."""
    metric = _der_metric(collar_s)
    for reference, hypothesis in pairs:
        ref, hyp = _annotation(reference), _annotation(hypothesis)
        metric(ref, hyp, uem=_extent(ref, hyp))
    return float(abs(metric))


def speaker_roles_match(truth: Mapping[str, str], found: Mapping[str, str]) -> bool:
    """Whether two label->role maps agree on every shared label."""
    return all(found.get(k) == v for k, v in truth.items() if k in found)


def _der_metric(collar_s: float):
    try:
        from pyannote.metrics.diarization import DiarizationErrorRate
    except ImportError as exc:
        raise ConfigError("DER needs pyannote.metrics; install it with: pip install 'qa-pipeline[diarize]'") from exc
    return DiarizationErrorRate(collar=collar_s, skip_overlap=False)


def _extent(reference, hypothesis):
    """The evaluated span: from the first to the last speech of either side."""
    from pyannote.core import Timeline

    return Timeline([reference.get_timeline().union(hypothesis.get_timeline()).extent()])


def _annotation(turns: Sequence[SpeakerTurn]):
    from pyannote.core import Annotation, Segment

    annotation = Annotation()
    for index, turn in enumerate(turns):
        if turn.end > turn.start:
            annotation[Segment(turn.start, turn.end), index] = turn.speaker
    return annotation
