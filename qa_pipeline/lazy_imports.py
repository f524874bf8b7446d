"""Heavy libraries imported so that one does not drag in another it never uses.

torch is installed for diarization (the `diarize` extra), which imports it when a mono
call needs it. Two other libraries import it just to learn it is there: spaCy's thinc
(`thinc/compat.py`, on `import spacy`) and Presidio (its Hugging Face recognizer module,
which spaCy imports whenever it loads a pipeline, through Presidio's registered spaCy
factory). Neither uses it here, and it cost about 180 MB of resident memory per process
(787 -> 605 MB after one call, measured stage by stage on a 30-minute call). So spaCy is imported and its pipelines loaded
with torch hidden, and diarization imports torch under the same lock, never while hidden.
"""

from __future__ import annotations

import sys
import threading
from contextlib import contextmanager
from typing import Iterator

_LOCK = threading.RLock()


@contextmanager
def torch_hidden() -> Iterator[None]:
    """Inside, `import torch` raises ImportError, unless torch is imported already (then
    nothing changes). Wrap `import spacy`, `spacy.load` and Presidio's imports in it."""
    with _LOCK:
        if "torch" in sys.modules:
            yield
            return
        sys.modules["torch"] = None  # type: ignore[assignment]
        try:
            yield
        finally:
            del sys.modules["torch"]


@contextmanager
def torch_allowed() -> Iterator[None]:
    """Inside, torch imports as usual (never while another thread hides it)."""
    with _LOCK:
        yield
