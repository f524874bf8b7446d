"""Greek (experimental): ``spacy.blank("el")``, words compared without accents.

spaCy's Greek lemmatizer needs lookup tables that are not installed here, and no
Greek morphology ships with its data in a wheel, so words are compared by a normal form,
not a lemma: lower case, accents and diaeresis dropped, final "ς" as "σ" ("Ακούω",
"ακουω" and "ακούω" are one word). A rubric phrase list therefore names the forms it
means ("σας ακούω", "σε ακούω"). Negation is "δεν"/"μην"/"όχι"/"ποτέ" before a phrase
("δεν σας ακούω"); quotation is «...» or a verb of saying before it ("μην λέτε «σας
ακούω»"). Whisper base recognises Greek poorly: the rubric is tested on text only.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from qa_pipeline.languages import Language, sentencizer_pipeline

# The Greek question mark is ";" (U+037E, often typed as a semicolon).
SENTENCE_ENDS = (".", "!", ";", "\u037e", "?", "…")
COMPONENT = "qa_el_normal_form"


def normal_form(word: str) -> str:
    """Lower case without accents or diaeresis, final sigma as sigma: "Ακούω" -> "ακουω"."""
    bare = "".join(c for c in unicodedata.normalize("NFD", word.lower()) if not unicodedata.combining(c))
    return bare.replace("ς", "σ")


def _normal_forms(doc: Any) -> Any:
    """Each token's lemma is its normal form; a capitalised word that does not open its
    sentence is a proper noun (no Greek tagger is installed: name templates need the mark)."""
    for token in doc:
        token.lemma_ = normal_form(token.text)
        if token.is_alpha and token.text[0].isupper() and not token.is_sent_start:
            token.pos_ = "PROPN"
    return doc


def load_greek() -> Any:
    """``spacy.blank("el")`` with a sentence splitter; each token's lemma is its `normal_form`."""
    from spacy.language import Language as SpacyLanguage

    if COMPONENT not in SpacyLanguage.factories:
        SpacyLanguage.component(COMPONENT, func=_normal_forms)
    nlp = sentencizer_pipeline("el", SENTENCE_ENDS)
    nlp.add_pipe(COMPONENT)  # after the sentencizer: it reads where sentences start
    return nlp


def _words(*words: str) -> frozenset[str]:
    return frozenset(normal_form(w) for w in words)


LANGUAGE = Language(
    code="el",
    name="Ελληνικά (Greek)",
    whisper_code="el",
    asr_model="base",
    make_nlp=load_greek,
    match_attr="LEMMA",
    negators=_words("δεν", "δε", "μην", "μη", "όχι", "ποτέ", "ούτε", "χωρίς", "τίποτα"),
    fillers=_words("εε", "εεε", "εμ", "μμ", "χμ", "ε"),
    leaders=_words("λοιπόν", "ναι", "καλά", "εντάξει", "και", "ωραία", "τέλεια", "μάλιστα", "βεβαίως", "α", "ορίστε"),
    # Forms of "λέω" (say), "χρησιμοποιώ" (use), "απαντώ" (answer), "γράφω" (write), "αποφεύγω" (avoid).
    saying_verbs=_words("λέω", "λες", "λέει", "λέμε", "λέτε", "λένε", "πείτε", "πεις", "πει", "πω", "είπα", "είπε",
                        "λέγοντας", "χρησιμοποιείτε", "χρησιμοποιήσετε", "χρησιμοποιώ", "απαντάτε", "απαντήσετε",
                        "απαντώ", "γράφετε", "αποφεύγετε", "αποφύγετε"),
    quote_cues=_words("λέξη", "λέξεις", "φράση", "φράσεις", "έκφραση", "τύπου"),
    quote_marks=frozenset({"«", "»", '"', "“", "”", "„"}),
    question_words=_words("τι", "ποιος", "ποια", "ποιο", "ποιον", "ποιοι", "πού", "πότε", "γιατί", "πώς", "πόσο",
                          "πόσα", "πόσες", "πόσοι"),
    question_particles=frozenset(),
    question_marks=frozenset({"?", ";", "\u037e"}),
    saying_before=True,
    question_word_leads=True,
    experimental=True,
)
