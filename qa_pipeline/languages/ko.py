"""Korean (experimental): kiwipiepy's morphemes as spaCy tokens, words compared by lemma.

spaCy's own Korean tokenizer needs MeCab (not installable from pip with its dictionary);
kiwipiepy ships its model in the ``kiwipiepy-model`` wheel, so nothing is downloaded at run
time. Each token is the surface text of one morpheme, or of several where Kiwi's
morphemes overlap in the text ("합니다" = 하 + ᆸ니다); its lemma is Kiwi's dictionary form
of the first ("듣고" -> 듣다 + 고), its part of speech mapped from Kiwi's Sejong tag.
A rubric phrase is split the same way, so "듣고 있" covers "듣고 있어요" and "듣고 있습니다".

Negation follows what it negates ("듣고 있지 않아요": 않다 after the phrase) or is 안/못
before it; quotation is quotation marks, or a quoting ending (-라고, -다고) followed by a
verb of saying ("듣고 있다고 말하지 마세요"). Whisper base recognises Korean poorly: the
rubric is tested on text only.
"""

from __future__ import annotations

import functools
from typing import Any

from qa_pipeline.errors import ConfigError
from qa_pipeline.languages import Language

# Sejong tag (Kiwi's, before any "-" suffix) -> Universal POS; the first letter decides the rest.
_UPOS = {"NNG": "NOUN", "NNP": "PROPN", "NNB": "NOUN", "NP": "PRON", "NR": "NUM", "VV": "VERB", "VA": "ADJ",
         "VX": "AUX", "VCP": "AUX", "VCN": "AUX", "MM": "DET", "MAG": "ADV", "MAJ": "CCONJ", "IC": "INTJ",
         "SN": "NUM", "SL": "X", "SH": "X", "XR": "NOUN"}
_BY_LETTER = {"J": "ADP", "E": "PART", "X": "PART", "S": "PUNCT", "W": "X", "U": "X", "Z": "X"}


@functools.lru_cache(maxsize=1)
def _kiwi() -> Any:
    try:
        from kiwipiepy import Kiwi
    except ImportError:
        raise ConfigError("Korean needs kiwipiepy and its model: pip install kiwipiepy kiwipiepy-model") from None
    return Kiwi()


def upos(tag: str) -> str:
    """The Universal POS of a Kiwi (Sejong) tag such as "VV-I" or "JKO"."""
    base = tag.split("-")[0]
    return _UPOS.get(base) or _BY_LETTER.get(base[:1], "X")


def segments(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, lemma, UPOS) of each token of `text`: Kiwi's morphemes by their place
    in the text, overlapping ones merged into the first."""
    out: list[list[Any]] = []
    for m in _kiwi().tokenize(text):
        start, end = m.start, m.start + m.len
        if out and (start < out[-1][1] or m.len == 0):
            out[-1][1] = max(out[-1][1], end)
            continue
        out.append([start, end, m.lemma or m.form, upos(m.tag)])
    return [(s, e, lemma, pos) for s, e, lemma, pos in out if e > s]


class KiwiTokenizer:
    """A spaCy tokenizer: text -> Doc of Kiwi's morpheme surfaces, with lemma and POS set."""

    def __init__(self, vocab: Any):
        self.vocab = vocab

    def __call__(self, text: str) -> Any:
        from spacy.tokens import Doc

        parts = segments(text)
        words = [text[s:e] for s, e, _, _ in parts]
        spaces = [k + 1 < len(parts) and parts[k + 1][0] > e for k, (_, e, _, _) in enumerate(parts)]
        doc = Doc(self.vocab, words=words, spaces=spaces)
        for token, (_, _, lemma, pos) in zip(doc, parts):
            token.lemma_ = lemma
            token.pos_ = pos
        return doc


def load_korean() -> Any:
    """``spacy.blank("ko")`` with `KiwiTokenizer` and a sentence splitter."""
    from qa_pipeline.lazy_imports import torch_hidden

    _kiwi()  # a clear ConfigError now rather than on the first text
    with torch_hidden():
        import spacy

        # The rule tokenizer stands in for MeCab's while the pipeline is built; Kiwi's replaces it.
        nlp = spacy.blank("ko", config={"nlp": {"tokenizer": {"@tokenizers": "spacy.Tokenizer.v1"}}})
    nlp.tokenizer = KiwiTokenizer(nlp.vocab)
    nlp.add_pipe("sentencizer", config={"punct_chars": [".", "?", "!", "…"]})
    return nlp


LANGUAGE = Language(
    code="ko",
    name="한국어 (Korean)",
    whisper_code="ko",
    asr_model="base",
    make_nlp=load_korean,
    match_attr="LEMMA",
    negators=frozenset({"안", "못"}),
    # 않다 ("듣지 않아요"), 못하다 ("듣지 못해요"), 말다 ("하지 마세요").
    negators_after=frozenset({"않다", "못하다", "말다"}),
    fillers=frozenset({"음", "어", "그", "저", "아", "뭐", "이제"}),
    leaders=frozenset({"네", "예", "아", "그럼", "자", "음", "그러면", "좋다", "알다"}),
    # 말(하다) "speak", 얘기(하다), 쓰다 "use/write", 사용(하다), 답(하다), 대답(하다).
    saying_verbs=frozenset({"말", "말하다", "얘기", "이야기", "쓰다", "사용", "답", "대답", "표현"}),
    quote_cues=frozenset({"말", "표현", "문구", "단어"}),
    quote_marks=frozenset({'"', "“", "”", "'", "‘", "’", "「", "」"}),
    quote_particles=frozenset({"라고", "다고", "이라고", "고", "라는", "다는"}),
    question_words=frozenset({"무엇", "뭐", "누구", "어디", "언제", "왜", "어떻다", "어떤", "얼마", "몇", "어느"}),
    question_particles=frozenset({"까", "ᆸ니까", "습니까", "ᆯ까요", "을까요", "나요", "가요", "니", "냐"}),
    saying_before=False,
    experimental=True,
)
