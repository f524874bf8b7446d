"""Recordings on disk: confined to the audio root, served with ranges, cut into clips."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from qa_pipeline.errors import RecordingError

MEDIA_TYPES = {
    ".wav": "audio/wav",
    ".flac": "audio/flac",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".m4a": "audio/mp4",
}


def resolve_recording(audio_root: Path, audio_path: str) -> Path | None:
    """The stored recording path as a file inside `audio_root`, or None.

    An absolute path is taken as it is; a relative one (as `score` stores it, relative
    to where it ran) under the root, else under the server's working folder. Never
    another file found by its name alone (another agent's C03.wav). Symlinks and `..`
    are resolved first, so nothing outside the root is ever returned.
    """
    if not audio_path or "\x00" in audio_path:
        return None
    root = audio_root.resolve()
    given = Path(audio_path)
    for candidate in [given] if given.is_absolute() else [root / given, Path.cwd() / given]:
        resolved = candidate.resolve()
        if resolved.is_relative_to(root) and resolved.is_file():
            return resolved
    return None


def playable_recording(audio_root: Path, detail) -> Path | None:
    """What the app may play or cut clips from: the redacted copy when the call has one
    (None if it is not inside the root: never the original instead), else the recording
    stored for the call; never a file found by name alone."""
    redacted = getattr(detail, "redacted_audio_path", None)
    if redacted:
        return resolve_recording(audio_root, redacted)
    return resolve_recording(audio_root, detail.audio_path)


AUDIO_ROOT_ENV = "QA_PIPELINE_AUDIO_ROOT"


def audio_problem(audio_root: Path, detail, staff: bool = True) -> str:
    """Why a call has no playable recording, in words a supervisor can act on ("" when it has one).

    Staff see the file's name and the audio root; an agent only that it is not available.
    """
    if playable_recording(audio_root, detail) is not None:
        return ""
    if not staff:
        return "The recording of this call is not available."
    stored = getattr(detail, "redacted_audio_path", None) or detail.audio_path
    name = Path(stored).name if stored else ""
    if not name:
        return "The store has no recording for this call (its scorecard was imported without one)."
    return (f"The recording {name} is not available: it is not inside the app's audio folder {audio_root}. "
            f"Start `qa-pipeline serve --audio-root DIR` (or set {AUDIO_ROOT_ENV}) with a DIR that holds the "
            "recordings and the scoring output (the redacted copies the app plays).")


def missing_audio(audio_root: Path, stored: list) -> list:
    """The stored calls (records with `audio_path`, `redacted_audio_path`) whose recording is not playable."""
    return [s for s in stored if playable_recording(audio_root, s) is None]


def media_type(path: Path) -> str:
    return MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")


def cut_wav(path: Path, start_s: float, end_s: float, pad_s: float = 0.25) -> bytes:
    """The span [start-pad, end+pad] of a recording as 16-bit PCM WAV, all channels kept.
    Raises `RecordingError` when the file cannot be read."""
    import soundfile as sf

    try:
        info = sf.info(str(path))
        first = max(0, int((start_s - pad_s) * info.samplerate))
        last = min(info.frames, int((end_s + pad_s) * info.samplerate))
        samples, rate = sf.read(str(path), start=first, stop=max(first, last), dtype="float32", always_2d=True)
    except (RuntimeError, OSError, sf.LibsndfileError) as exc:
        raise RecordingError(path.name, f"cannot be read for a clip ({exc})") from exc
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def clip_bundle(stem: str, wav: bytes, transcript: str) -> bytes:
    """A zip of the clip and its transcript, named after `stem`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr(f"{stem}.wav", wav)
        bundle.writestr(f"{stem}.txt", transcript)
    return buffer.getvalue()
