"""Recorded announcements and IVR prompts: system speech, not the agent's.

"This call may be recorded for quality and training purposes", "Your call is important
to us", "For billing, press 2": a sentence with one of the announcement phrases of
`qa_pipeline/speech/roles.yaml` is split off its utterance (on word timings) and given
the speaker `system`, so it is never a role cue, never the agent's words and never
evidence for a criterion.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from qa_pipeline.records import SYSTEM, Utterance, Word, ends_sentence
from qa_pipeline.speech.utterances import join_words


def mark_announcements(utterances: Sequence[Utterance], phrases: Sequence[str]) -> tuple[Utterance, ...]:
    """`utterances` with every announcement sentence as its own utterance of speaker `system`.

    An utterance without word timings is system speech only when its whole text is an
    announcement.
    """
    if not phrases:
        return tuple(utterances)
    from qa_pipeline import nlp

    out: list[Utterance] = []
    with nlp.TEXT_LOCK:
        for u in utterances:
            out += _split(u, tuple(phrases))
    return tuple(out)


def is_announcement(text: str, phrases: tuple[str, ...]) -> bool:
    """Whether `text` contains an announcement phrase."""
    from qa_pipeline import nlp

    return bool(text.strip()) and bool(nlp.find_phrases(nlp.parse([text])[0], phrases))


def _split(u: Utterance, phrases: tuple[str, ...]) -> list[Utterance]:
    if not is_announcement(u.text, phrases):
        return [u]
    if not u.words:
        return [replace(u, speaker=SYSTEM)]
    sentences = _sentences(u.words)
    kinds = [is_announcement(join_words(s), phrases) for s in sentences]
    if not any(kinds):
        return [u]
    runs: list[tuple[bool, list[Word]]] = []
    for kind, sentence in zip(kinds, sentences):
        if runs and runs[-1][0] == kind:
            runs[-1][1].extend(sentence)
        else:
            runs.append((kind, list(sentence)))
    return [replace(u, speaker=SYSTEM if kind else u.speaker, start=words[0].start, end=max(w.end for w in words),
                    text=join_words(words), words=tuple(words)) for kind, words in runs]


def _sentences(words: Sequence[Word]) -> list[list[Word]]:
    out: list[list[Word]] = [[]]
    for w in words:
        out[-1].append(w)
        if ends_sentence(w.text):
            out.append([])
    return [s for s in out if s]
