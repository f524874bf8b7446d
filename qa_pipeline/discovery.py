"""Finding the recordings that inputs name: files as given, folders searched recursively.

The extensions are those of the formats `qa_pipeline.speech.audio` decodes: libsndfile's
(WAV, FLAC, OGG, MP3, AIFF, AU) and, through PyAV, what phone, mobile and softphone
recorders write (M4A/AAC, Opus, AMR-NB/WB, WMA) and the audio track of video files.
A folder's files that are none of these are not scored; `ignored_files` lists them, so a
run can say what it left out instead of skipping it silently.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

SOUNDFILE_EXTENSIONS = frozenset({".wav", ".wave", ".flac", ".ogg", ".oga", ".mp3", ".aif", ".aiff", ".au", ".snd"})
# Decoded through PyAV (FFmpeg): audio-only containers, then video containers' audio track.
PYAV_EXTENSIONS = frozenset({".m4a", ".aac", ".opus", ".amr", ".awb", ".wma", ".caf", ".mka", ".webm",
                             ".mp4", ".m4v", ".mov", ".3gp", ".3g2", ".mkv", ".avi", ".wmv", ".asf"})
AUDIO_EXTENSIONS = SOUNDFILE_EXTENSIONS | PYAV_EXTENSIONS
# Files that travel with recordings and are read as their companions, never as recordings.
COMPANION_NAMES = frozenset({"metadata.csv", "manifest.json"})
COMPANION_SUFFIXES = (".meta.json",)


def is_audio(path: Path) -> bool:
    return path.suffix.lower() in AUDIO_EXTENSIONS and not path.name.startswith(".")


def discover_recordings(inputs: Iterable[str | Path]) -> list[Path]:
    """Recordings named by `inputs`, in order: a file as given, a folder searched recursively.

    A file named directly is kept whatever it is (even missing), so an unusable one is
    reported rather than silently skipped. A folder contributes every entry with an
    audio extension, sorted: files, and also broken links, folders and other entries so
    named, and any subfolder that cannot be listed, so that scoring reports each of them.
    Linked folders are followed once. The same file reached twice is listed once.
    """
    found: list[Path] = []
    seen: set[Path] = set()
    for item in inputs:
        path = Path(item)
        for candidate in _folder_entries(path) if path.is_dir() else [path]:
            key = _resolved(candidate)
            if key not in seen:
                seen.add(key)
                found.append(candidate)
    return found


def _folder_entries(folder: Path) -> list[Path]:
    # A folder named like a recording is reported even when named directly, so that
    # discovering the discovered list again gives the same list.
    return ([folder] if is_audio(folder) else []) + _audio_entries(folder)


def _audio_entries(folder: Path) -> list[Path]:
    found: list[Path] = []
    visited: set[tuple[int, int]] = set()
    pending = [folder]
    while pending:
        current = pending.pop()
        try:
            stat = current.stat()
            entries = list(os.scandir(current))
        except OSError:
            found.append(current)  # reported as a folder that cannot be read
            continue
        if (stat.st_dev, stat.st_ino) in visited:
            continue  # a link back up the tree
        visited.add((stat.st_dev, stat.st_ino))
        for entry in entries:
            if entry.name.startswith("."):
                continue
            entry_path = Path(entry.path)
            if is_audio(entry_path):
                found.append(entry_path)
            if _is_dir(entry):
                pending.append(entry_path)
    return sorted(found)


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a link loop
        return path.absolute()


def ignored_files(inputs: Iterable[str | Path]) -> list[Path]:
    """Files in the input folders that are not scored: no audio extension, not hidden, not a
    companion (`metadata.csv`, `manifest.json`, `<stem>.meta.json`); sorted. Report them."""
    ignored: list[Path] = []
    for item in inputs:
        folder = Path(item)
        if not folder.is_dir():
            continue
        for root, folders, files in os.walk(folder):
            folders[:] = [f for f in folders if not f.startswith(".")]
            ignored += [Path(root, name) for name in files if _ignored(name)]
    return sorted(ignored)


def _ignored(name: str) -> bool:
    lower = name.lower()
    return not (name.startswith(".") or Path(lower).suffix in AUDIO_EXTENSIONS or lower in COMPANION_NAMES
                or lower.endswith(COMPANION_SUFFIXES))
