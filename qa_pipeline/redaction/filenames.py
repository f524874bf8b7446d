"""Pseudonyms for file names and call ids that hold PII (recorders name files by the caller's number).

`public_stem("07700900123_20261120")` is `"n-3f9c0a1b7d2e_20261120"`: each run of seven or
more digits that is not a date or time (a phone, card or account number), each written
email address, and any other PII the text recognizers find, is replaced by a keyed hash
(HMAC-SHA256 under the site's key, 12 hex digits), so the same number always gets the same
pseudonym and the name stays sortable by its dates. A name with nothing found is kept.

The key: `pseudonyms.key_file` in the redaction settings (a file of at least 16 bytes),
else `$QA_PIPELINE_PSEUDONYM_KEY_FILE`, else a key file made once per user under
`$XDG_CONFIG_HOME/qa-pipeline/pseudonym.key` (mode 0600). An unkeyed hash of a phone number
could be reversed by trying every number; a keyed one cannot without the key. The mapping
(pseudonym -> original) is written only when the site names a file for it
(`pseudonyms.mapping_file`), one tab-separated line per new name, mode 0600.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import threading
from datetime import datetime
from pathlib import Path, PurePath

from qa_pipeline.errors import ConfigError
from qa_pipeline.redaction.settings import RedactionSettings, load_settings

KEY_ENV = "QA_PIPELINE_PSEUDONYM_KEY_FILE"
MIN_KEY_BYTES = 16
_DIGIT_RUN = re.compile(r"\+?\d(?:[\d]|[ .\-](?=\d))*")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_SEPARATORS = re.compile(r"[_\-.]+")
_PSEUDONYM = re.compile(r"\b(?:n|e|call)-[0-9a-f]{12}\b")
# One writer at a time appends to the mapping file (scoring runs calls on worker threads).
_MAPPING_LOCK = threading.Lock()


def public_stem(stem: str, settings: RedactionSettings | None = None) -> str:
    """`stem` with its PII replaced by stable pseudonyms; `stem` itself when none is found
    or redaction is off. Raises `ConfigError` for an unreadable or too short key file."""
    settings = settings or load_settings()
    if not settings.enabled or not stem:
        return stem
    key = _key(settings)
    out = _EMAIL.sub(lambda m: _pseudonym("e", m.group(), key), stem)
    out = _DIGIT_RUN.sub(lambda m: _digits(m.group(), key), out)
    if _still_holds_pii(out, settings):
        out = _pseudonym("call", stem, key)
    if out != stem:
        _remember(out, stem, settings)
    return out


def public_call_id(call_id: str, settings: RedactionSettings | None = None) -> str:
    """A call id fit to write (cards, CSV, the store): `public_stem` of it."""
    return public_stem(call_id, settings)


def public_path(path: str | Path, settings: RedactionSettings | None = None) -> str:
    """`path` with every part's PII replaced (the suffix of the file name kept)."""
    pure = PurePath(str(path))
    parts = [public_stem(p, settings) for p in pure.parts[:-1]]
    name = pure.name
    suffix = "".join(pure.suffixes[-1:]) if pure.suffix and len(pure.suffix) <= 6 else ""
    last = public_stem(name[: len(name) - len(suffix)], settings) + suffix
    return str(PurePath(*parts, last)) if parts else last


def public_reason(reason: str, path: str | Path, settings: RedactionSettings | None = None) -> str:
    """A reason (why a recording failed or waits) fit to print, log or write: `path` in it in
    its public form (`public_path`), the rest redacted (`scorecard.redact_text`: PII a library
    message or a metadata value brought in; the pipeline's own numbers with units are kept)."""
    from qa_pipeline.redaction.scorecard import redact_text

    settings = settings or load_settings()
    if not settings.enabled or not reason:
        return reason
    return redact_text(reason.replace(str(path), public_path(path, settings)), settings)


def _digits(run: str, key: bytes) -> str:
    digits = re.sub(r"\D", "", run)
    if len(digits) < 7 or _is_date_or_time(digits):
        return run
    return _pseudonym("n", digits, key)


def _is_date_or_time(digits: str) -> bool:
    """YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS, a real calendar date: a recorder's time stamp."""
    for pattern in ("%Y%m%d%H%M%S", "%Y%m%d%H%M", "%Y%m%d"):
        try:
            stamp = datetime.strptime(digits, pattern)
        except ValueError:
            continue
        return 1990 <= stamp.year <= 2100
    return False


def _still_holds_pii(name: str, settings: RedactionSettings) -> bool:
    """Whether the text recognizers find PII in the name's words (a spelled-out email); its
    numbers were dealt with already, and pseudonyms and time stamps are not read again."""
    from qa_pipeline.redaction.scorecard import redact_text

    words = [w for w in _SEPARATORS.sub(" ", _PSEUDONYM.sub(" ", name)).split() if not any(c.isdigit() for c in w)]
    spaced = " ".join(words)
    return bool(spaced) and redact_text(spaced, settings) != spaced


def _pseudonym(prefix: str, value: str, key: bytes) -> str:
    return f"{prefix}-{hmac.new(key, value.encode('utf-8'), hashlib.sha256).hexdigest()[:12]}"


def _key(settings: RedactionSettings) -> bytes:
    configured = (settings.lexicon.get("pseudonyms") or {}).get("key_file") or os.environ.get(KEY_ENV)
    path = Path(configured) if configured else _default_key_file()
    if not configured and not path.exists():
        _make_key(path)
    try:
        key = path.read_bytes().strip()
    except OSError as exc:
        raise ConfigError(f"pseudonym key file {path}: {exc}") from exc
    if len(key) < MIN_KEY_BYTES:
        raise ConfigError(f"pseudonym key file {path}: needs at least {MIN_KEY_BYTES} bytes of key")
    return key


def _default_key_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "qa-pipeline" / "pseudonym.key"


def _make_key(path: Path) -> None:
    """A new random site key, written once (a concurrent first writer wins; both then read it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")


def _remember(pseudonym: str, original: str, settings: RedactionSettings) -> None:
    target = (settings.lexicon.get("pseudonyms") or {}).get("mapping_file")
    if not target:
        return
    path = Path(target)
    with _MAPPING_LOCK:
        known = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        line = f"{pseudonym}\t{original}"
        if line in known:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
