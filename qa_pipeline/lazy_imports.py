"""Heavy libraries imported so that one does not drag in another it never uses.

torch is installed for diarization (the `diarize` extra), which imports it when a mono
call needs it (in its own worker process, see `qa_pipeline.speech.diarization`). Two
other libraries import it just to learn it is there: spaCy's thinc (`thinc/compat.py`,
on `import spacy`) and Presidio (its Hugging Face recognizer module, which spaCy imports
whenever it loads a pipeline, through Presidio's registered spaCy factory). Neither uses
it here, and it cost about 180 MB of resident memory per process (787 -> 605 MB after
one call, measured stage by stage on a 30-minute call). So spaCy is imported and its
pipelines loaded with torch hidden.

Hiding is per thread: an import hook (installed once, on first use) refuses `torch` only
in a thread inside `torch_hidden`. Nothing process-wide changes while other threads run;
`sys.modules["torch"] = None`, the usual trick, made SciPy in another thread find a
`None` torch (`'NoneType' object has no attribute 'Tensor'`, issue 22).
"""

from __future__ import annotations

import importlib.abc
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

HIDDEN = ("torch",)


class _HiddenInThisThread(importlib.abc.MetaPathFinder):
    """Refuses the `HIDDEN` packages to a thread that asked, and nothing to any other."""

    def __init__(self) -> None:
        self.local = threading.local()

    def find_spec(self, name, path=None, target=None):
        if getattr(self.local, "depth", 0) and name.split(".", 1)[0] in HIDDEN:
            raise ModuleNotFoundError(f"No module named {name!r} (hidden while spaCy loads)", name=name)
        return None


_FINDER = _HiddenInThisThread()
_INSTALL = threading.Lock()


def _install() -> None:
    with _INSTALL:
        if _FINDER not in sys.meta_path:
            sys.meta_path.insert(0, _FINDER)


@contextmanager
def torch_hidden() -> Iterator[None]:
    """Inside, `import torch` in this thread raises ImportError, unless torch is imported
    already (then nothing changes). Other threads import as usual. Wrap `import spacy`,
    `spacy.load` and Presidio's imports in it."""
    _install()
    local = _FINDER.local
    local.depth = getattr(local, "depth", 0) + 1
    try:
        yield
    finally:
        local.depth -= 1
