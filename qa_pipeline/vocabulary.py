"""Custom vocabulary: a site's agent roster and its rubric's terms, for Whisper and the rules.

An agent roster is a CSV file (``agents.csv``) with a header and one row per agent::

    agent_id,name,aliases
    agent-megan,Megan,Meg
    agent-tom,Tom,Thomas|Tommy

``aliases`` is optional; several are separated by ``|``. A call whose metadata names an
agent id found in the roster gets that agent's name (and aliases) as
`CallMetadata.agent_name` (spellings joined by ``|``), which `self_introduction` accepts
when the agent says it in the opening, matched tolerantly (see `names_match`).

Whisper gets the agent's names and the rubric's ``vocabulary`` list (company names,
products) as faster-whisper ``hotwords`` on the agent's channel: a hint given with every
30-second window, so a name said at minute three is hinted as well as one in the greeting.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from qa_pipeline.errors import ConfigError
from qa_pipeline.protocols import AsrOptionsT, RubricSpec
from qa_pipeline.records import CallMetadata

ALIAS_SEPARATOR = "|"
# Whisper's prompt holds 223 tokens; hotwords past about 40 words crowd out its own context.
MAX_HOTWORDS = 40


@dataclass(frozen=True)
class Agent:
    agent_id: str
    name: str
    aliases: tuple[str, ...] = ()

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Roster:
    """The agents a site knows, by agent id."""

    agents: tuple[Agent, ...] = ()

    def get(self, agent_id: str | None) -> Agent | None:
        return next((a for a in self.agents if a.agent_id == agent_id), None) if agent_id else None


def parse_roster(text: str, source: str = "agents.csv") -> Roster:
    """A roster from CSV text; `ConfigError` naming the line for anything unusable."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or ()]
    if not {"agent_id", "name"} <= set(header):
        raise ConfigError(f"{source}: needs the columns agent_id and name (aliases optional), found {header or 'no header'}")
    agents: dict[str, Agent] = {}
    for line, row in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k}
        agent_id, name = row.get("agent_id", ""), row.get("name", "")
        if not agent_id and not name:
            continue
        if not agent_id or not name:
            raise ConfigError(f"{source}: line {line}: an agent needs both an agent_id and a name")
        if agent_id in agents:
            raise ConfigError(f"{source}: line {line}: agent_id {agent_id!r} appears twice")
        aliases = tuple(a.strip() for a in row.get("aliases", "").split(ALIAS_SEPARATOR) if a.strip())
        agents[agent_id] = Agent(agent_id, name, aliases)
    return Roster(tuple(agents.values()))


def read_roster(path: str | Path) -> Roster:
    path = Path(path)
    try:
        return parse_roster(path.read_text(encoding="utf-8-sig"), str(path))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ConfigError(f"{path}: cannot read the agent roster ({exc})") from exc


def with_roster_name(metadata: CallMetadata, roster: Roster | None) -> CallMetadata:
    """`metadata` with the roster's name for its agent, unless it already names the agent."""
    agent = roster.get(metadata.agent_id) if roster else None
    if agent is None or metadata.agent_name:
        return metadata
    return replace(metadata, agent_name=ALIAS_SEPARATOR.join(agent.spellings))


def agent_spellings(metadata: CallMetadata) -> tuple[str, ...]:
    """The agent's known names from `CallMetadata.agent_name` ("Megan|Meg" -> two)."""
    return tuple(n.strip() for n in (metadata.agent_name or "").split(ALIAS_SEPARATOR) if n.strip())


def hotwords(*groups: Iterable[str]) -> str | None:
    """One hotwords string from names and terms, first mention kept, capped at `MAX_HOTWORDS` words."""
    seen: dict[str, str] = {}
    for term in (t.strip() for group in groups for t in group):
        if term and term.lower() not in seen:
            seen[term.lower()] = term
    words = " ".join(seen.values()).split()[:MAX_HOTWORDS]
    return " ".join(words) or None


def names_match(heard: str, known: str, threshold: float) -> bool:
    """Whether a heard word is a known name: Jaro-Winkler >= `threshold`, or the same sound (Metaphone).

    jellyfish supplies both; ASR mangles names in both ways ("Megan" heard as "Meghan",
    "Mac" for "Mark"). Words shorter than three letters never match; sound alone needs four.
    """
    import jellyfish

    a, b = heard.lower().strip(".,!?'\""), known.lower()
    if len(a) < 3 or len(b) < 3:
        return False
    if a == b or jellyfish.jaro_winkler_similarity(a, b) >= threshold:
        return True
    # Sound alone is too coarse for short names (Tom and Tim are both "TM").
    return min(len(a), len(b)) >= 4 and jellyfish.metaphone(a) == jellyfish.metaphone(b)


@dataclass(frozen=True)
class Vocabulary:
    """What a site tells the pipeline: its agent roster, and whether Whisper gets hotwords.

    With `hotwords`, the call's agent names and the rubric's ``vocabulary`` are given to
    Whisper on the agent's channel (the transcript cache key then includes them).
    """

    roster: Roster | None = None
    hotwords: bool = False

    def for_call(self, metadata: CallMetadata, asr_options: AsrOptionsT,
                 rubric: RubricSpec) -> tuple[CallMetadata, AsrOptionsT]:
        """The call's metadata with its agent's roster name, and its ASR options."""
        metadata = with_roster_name(metadata, self.roster)
        if not self.hotwords:
            return metadata, asr_options
        words = hotwords(agent_spellings(metadata), rubric.vocabulary)
        return metadata, replace(asr_options, agent_hotwords=words)


def site_vocabulary(agents: Path | None, hotwords: bool) -> Vocabulary | None:
    """The `Vocabulary` for a roster file and the hotwords switch, or None when neither is given."""
    if agents is None and not hotwords:
        return None
    return Vocabulary(read_roster(agents) if agents else None, hotwords)
