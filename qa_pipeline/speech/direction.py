"""Which way a call goes: inbound (the customer called) or outbound (the agent called).

Read from the cues of the call's opening (`qa_pipeline/speech/roles.yaml`, `direction`):
on an inbound call the agent answers with the company and an offer of help, and the
caller asks for a service; on an outbound call the customer picks up ("Hello?", "This is
Dennis"), and the agent says whom they speak for and why they call ("This is Mike from
HP, I'm calling to confirm your visit"). A site's metadata (`direction`) wins over what
is said.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from qa_pipeline.errors import ConfigError
from qa_pipeline.records import DIRECTIONS, INBOUND, OUTBOUND

AUTO = "auto"
FROM_SPEECH = "speech"
FROM_METADATA = "metadata"


@dataclass(frozen=True)
class CallDirection:
    """`direction` (inbound or outbound), where it came from (`source`: "speech" or
    "metadata"), `confidence` (0-1; 1.0 from metadata) and the cues that decided it."""

    direction: str
    source: str
    confidence: float
    cues: tuple[str, ...] = ()


def checked_direction(value: str | None) -> str:
    """`value` as "inbound", "outbound" or "auto" (None and "" are "auto"); `ConfigError` otherwise."""
    text = (value or AUTO).strip().lower()
    if text not in (*DIRECTIONS, AUTO):
        raise ConfigError(f"call direction must be 'inbound', 'outbound' or 'auto', got {value!r}")
    return text


def read_direction(opening: Sequence[tuple[str, ...]], weights: Mapping[str, Mapping[str, float]],
                   scale: float, min_outbound: float = 0.0, given: str = AUTO) -> CallDirection:
    """The call's direction from the cue names heard in each of its first utterances, in order.

    `opening[k]` are the cues of the call's k-th utterance; `weights[direction][cue]` what
    each cue (counted once) adds to that direction. The call is outbound when that score is
    higher and at least `min_outbound`. A fixed `given` direction (from metadata) wins.
    """
    if given != AUTO:
        return CallDirection(given, FROM_METADATA, 1.0)
    heard = list(dict.fromkeys(name for names in opening for name in names))
    score = {d: sum(weights.get(d, {}).get(name, 0.0) for name in heard) for d in DIRECTIONS}
    margin = score[OUTBOUND] - score[INBOUND]
    direction = OUTBOUND if margin > 0 and score[OUTBOUND] >= min_outbound else INBOUND
    confidence = round(1.0 / (1.0 + math.exp(-abs(margin) / scale)), 3)
    deciding = tuple(name for name in heard if weights.get(direction, {}).get(name, 0.0) > 0)
    return CallDirection(direction, FROM_SPEECH, confidence, deciding)
