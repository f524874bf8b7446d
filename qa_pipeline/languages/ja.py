"""Japanese: SudachiPy through ``spacy.blank("ja")``, words compared by Sudachi's normalised form.

Sudachi's normalised form is the dictionary form in one spelling: "聞いて", "聞きます" and
"聞かない" all carry "聞く"; "お" and "ご" both carry "御"; "ありがとう" carries "有り難う". A
rubric phrase is split the same way, so one entry covers a word's inflected and
alternative spellings (see docs/languages.md).

Negation in Japanese follows what it negates ("聞いています" / "聞いていません": the last
token "ん" normalises to "ず"), so `negators_after` is read after a match. Quotation is a
quoting particle after the words and a verb of saying ("「聞いています」とは言いません",
"聞いていますって言わないで"), or corner brackets. A question ends in the particle "か" (or
Whisper's "？"), or asks with a question word. The dictionary (sudachidict_core) ships
in its wheel: nothing is downloaded at run time.
"""

from __future__ import annotations

from typing import Any

from qa_pipeline.languages import Language, sentencizer_pipeline

SENTENCE_ENDS = ("。", "？", "！", "?", "!", ".")


SENTENCE_END_COMPONENT = "qa_ja_sentence_ends"


def load_japanese() -> Any:
    """``spacy.blank("ja")`` (SudachiPy, split mode A, sudachidict_core) with a sentence splitter
    at 。？！ and at the grammatical ends Whisper leaves unpunctuated (`mark_sentence_ends`)."""
    from spacy.language import Language as SpacyLanguage

    nlp = sentencizer_pipeline("ja", SENTENCE_ENDS)
    if not SpacyLanguage.has_factory(SENTENCE_END_COMPONENT):
        SpacyLanguage.component(SENTENCE_END_COMPONENT, func=mark_sentence_ends)
    nlp.add_pipe(SENTENCE_END_COMPONENT, after="sentencizer")
    return nlp


def mark_sentence_ends(doc: Any) -> Any:
    """Start a sentence after a sentence-final word that Whisper did not punctuate.

    Whisper base writes Japanese mostly without "。" ("山田様ですねそれはお辛いですね痛みは
    いつごろからでしょうか"). A sentence ends after a final particle (助詞-終助詞: か, ね, よ)
    or an auxiliary in its final form (終止形: です, ます) when a content word follows, not
    another particle ("ですね", "ますか", "ですが") or auxiliary.
    """
    for token in doc[:-1]:
        after = doc[token.i + 1]
        if after.is_punct or after.tag_.startswith(("助詞", "助動詞", "接尾辞")):
            continue
        final_particle = token.tag_ == "助詞-終助詞"
        final_form = token.tag_ == "助動詞" and any("終止形" in f for f in token.morph.get("Inflection"))
        if final_particle or final_form:
            after.is_sent_start = True
    return doc


LANGUAGE = Language(
    code="ja",
    name="日本語 (Japanese)",
    whisper_code="ja",
    asr_model="base",
    make_nlp=load_japanese,
    match_attr="NORM",
    # "ない"/"無い" (聞いていない), "ず" (ません's ん, ず), "まい"; "ぬ" for older text.
    negators_after=frozenset({"ない", "無い", "ず", "ぬ", "まい"}),
    fillers=frozenset({"えー", "えーと", "えっと", "あのー", "あの", "その", "ええ", "まあ", "うーん", "あー"}),
    leaders=frozenset({"はい", "ええ", "えー", "あ", "あの", "あのー", "では", "それでは", "じゃあ", "で", "そう", "もしもし"}),
    # Normal forms: 言う (言います, 言わない), 話す, 申す (humble "say"), 使う, 書く, 避ける.
    saying_verbs=frozenset({"言う", "話す", "使う", "書く", "避ける", "口にする"}),
    quote_cues=frozenset({"言葉", "表現", "フレーズ", "言い方", "文句"}),
    quote_marks=frozenset({"「", "」", "『", "』", '"', "“", "”"}),
    quote_particles=frozenset({"と", "って", "とか", "という"}),
    question_words=frozenset({"何", "なに", "なん", "どう", "どの", "どちら", "どなた", "誰", "いつ", "何時", "どこ",
                              "何処", "なぜ", "何故", "どうして", "幾ら", "いくら", "どれ", "どのような", "どんな",
                              "如何", "いかが", "何方", "いくつ", "幾つ"}),
    question_particles=frozenset({"か", "かしら", "かな", "でしょうか"}),
    saying_before=False,
    experimental=False,
    # Sudachi's tags (UniDic's part-of-speech and inflection names). A conjunctive particle
    # (接続助詞: て, から, けど, けれども, し, ながら, ば) joins a clause to one still to come; a
    # verb or auxiliary in its continuative form (連用形: the で of ので, "しており") leads on.
    # A case particle does not ("じゃ、その日に"): spoken Japanese leaves the rest unsaid
    # there, as English ends on "come in".
    open_ending_tags=("助詞-接続助詞",),
    open_ending_forms=(("動詞", "連用形"), ("助動詞", "連用形")),
    # Whisper base writes the question particle か as が: J02's agent ends the call with "そうですか。"
    # (its script), heard "そうですが"; a last が is no sign of a cut.
    open_ending_exceptions=frozenset({"が"}),
)
