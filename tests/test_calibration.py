"""The thresholds that describe human speech are what the real-speech calibration set gives.

scripts/derive_thresholds.py derives each from data/calibration/harper_valley (human
timings of real bank calls); the bundled rubrics and the cut-off defaults must hold exactly
those values, so they cannot drift from their source.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "derive_thresholds.py"


@pytest.fixture(scope="module")
def derivation():
    spec = importlib.util.spec_from_file_location("derive_thresholds", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def test_every_calibrated_threshold_holds_the_derived_value(derivation):
    thresholds = derivation.derive()
    assert len(thresholds) >= 7
    for t in thresholds:
        held = derivation.rubric_value(t)
        assert math.isclose(held, t.value), f"{t.rubric}.{t.criterion}.{t.param}: holds {held}, derived {t.value}"


def test_the_calibration_set_is_real_two_party_calls(derivation):
    calls = derivation.load_calls()
    assert len(calls) >= 25
    for sid, transcript in calls.items():
        assert {u.speaker for u in transcript.utterances} == {"agent", "customer"}, sid
    overall, _ = derivation.pace_rates(calls, derivation.PaceParams(max_wpm=0, stretch_max_wpm=0, min_speech_s=0))
    # Real agents speak far faster over their own utterances than the old synthetic limit (240).
    assert 200 < derivation.percentile(overall, 50) < 260


def test_the_script_exits_nonzero_when_a_rubric_drifts(derivation, tmp_path, capsys):
    assert derivation.main(["--check"]) == 0
    faster = tmp_path / "segments.tsv"
    rows = (ROOT / "data" / "calibration" / "harper_valley" / "segments.tsv").read_text().splitlines()
    # Every agent segment says its words twice in the same time: agents twice as fast.
    doubled = [rows[0]] + [r + " " + r.split("\t")[5] if r.split("\t")[2] == "agent" else r for r in rows[1:]]
    faster.write_text("\n".join(doubled) + "\n")
    assert derivation.main(["--check", "--calibration", str(faster)]) == 1
    assert "<- rubric holds" in capsys.readouterr().out
