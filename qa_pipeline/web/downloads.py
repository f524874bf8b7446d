"""The Content-Disposition header of a download, as RFC 6266 describes it.

`filename*=UTF-8''...` (RFC 8187 percent-encoding) carries the real name, non-ASCII
call ids included; `filename="..."` is a plain-ASCII fallback for old clients. HTTP
headers are Latin-1 on the wire, so a raw non-ASCII name cannot go in the header.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

# RFC 8187 attr-char: ALPHA / DIGIT / "!#$&+-.^_`|~"; everything else is percent-encoded.
_ATTR_SAFE = "!#$&+-.^_`|~"
_UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f/\\"]')


def clean_filename(name: str) -> str:
    """The name without control characters, path separators or quotes (each becomes `_`)."""
    return _UNSAFE_IN_NAME.sub("_", name).strip() or "download"


def _ascii_fallback(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    fallback = re.sub(r"[^A-Za-z0-9._ -]", "_", decomposed).strip()
    return fallback if fallback.strip("._ ") else "download" + "".join(re.findall(r"\.[A-Za-z0-9]+$", name))


def attachment(filename: str) -> str:
    """`attachment; filename="<ascii>"; filename*=UTF-8''<percent-encoded>` for `filename`."""
    name = clean_filename(filename)
    return f"attachment; filename=\"{_ascii_fallback(name)}\"; filename*=UTF-8''{quote(name, safe=_ATTR_SAFE)}"
