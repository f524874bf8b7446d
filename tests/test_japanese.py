"""Japanese on text: every phrase list of etiquette.ja.yaml and call_handling.ja.yaml, with
negation ("聞いていません") and quotation ("「聞いています」とは言いません"), through the
criteria as scoring runs them (SudachiPy through spacy.blank("ja"), no model download)."""

from __future__ import annotations

from functools import lru_cache

import pytest

from qa_pipeline import nlp
from qa_pipeline.records import AGENT, CUSTOMER, FAIL, NOT_APPLICABLE, PASS, CallMetadata, Transcript, Utterance
from qa_pipeline.rubric import Rubric, load_rubric

SECONDS_PER_CHARACTER = 0.15  # about 400 characters a minute with the pauses
SPEAKERS = {"A": AGENT, "C": CUSTOMER}


def call(*lines: str) -> Transcript:
    """A Japanese transcript from lines like "A: お電話ありがとうございます", one after another."""
    utterances, t = [], 0.5
    for line in lines:
        who, text = line.split(":", 1)
        end = t + SECONDS_PER_CHARACTER * len(text.strip())
        utterances.append(Utterance(SPEAKERS[who.strip()], round(t, 2), round(end, 2), text.strip()))
        t = end + 0.5
    return Transcript(tuple(utterances), duration_s=t + 2.0, channels=2, language="ja")


@lru_cache(maxsize=2)
def rubric(rubric_id: str = "call_handling") -> Rubric:
    return load_rubric(rubric_id, language="ja")


def judge(criterion_id: str, transcript: Transcript, metadata: CallMetadata | None = None) -> tuple[str, str]:
    from qa_pipeline.criteria import CallContext
    from qa_pipeline.scoring import evaluate_criterion

    ctx = CallContext(transcript, metadata or CallMetadata("J"), nlp.parse((u.text for u in transcript.utterances), "ja"))
    result = evaluate_criterion(ctx, rubric().criterion(criterion_id), None)
    return result.verdict, result.detail


GOOD_OPENING = "A: お電話ありがとうございます。さくら歯科、受付の田中でございます。"
CLOSING = ["A: 他にご不明な点はございますか？", "C: 大丈夫です。", "A: お電話ありがとうございました。失礼いたします。"]


# ------------------------------------------------------------------ matching by normal form


@pytest.mark.parametrize("text, phrase", [
    ("はい、聞いております。", "聞いております"),
    ("聞いていますよ。", "聞いています"),
    ("ご電話ありがとうございます", "お電話ありがとうございます"),  # お and ご are both 御
    ("お電話、えー、ありがとうございます", "お電話 ありがとうございます"),  # a space lets a filler in
    ("お電話、誠にありがとうございます", "お電話 誠に ありがとうございます"),
    ("有難うございました", "ありがとうございました"),  # another spelling, one normal form
])
def test_phrases_match_by_normal_form(text, phrase):
    (doc,) = nlp.parse([text], "ja")
    assert [s.label_ for s in nlp.find_phrases(doc, (phrase,))] == [phrase]


def test_no_gap_where_the_phrase_has_no_space():
    (doc,) = nlp.parse(["お電話、誠にありがとうございます"], "ja")
    assert nlp.find_phrases(doc, ("お電話ありがとうございます",)) == []


@pytest.mark.parametrize("text, why", [
    ("聞いていません。", "negated"),
    ("聞いていないです。", "negated"),
    ("「聞いています」とは言いません。", "quoted"),
    ("聞いていますって言わないでください。", "quoted"),
    ("聞いていますという言葉は使いません。", "quoted"),
    ("はい、聞いています。", None),
])
def test_negation_and_quotation_in_japanese(text, why):
    (doc,) = nlp.parse([text], "ja")
    spans = nlp.find_phrases(doc, rubric().criterion("no_im_listening").params.phrases)
    assert spans and [nlp.not_performed(s) for s in spans] == [why] * len(spans)


@pytest.mark.parametrize("text, questions", [
    ("どの歯が痛みますか？", 1),
    # Whisper base leaves Japanese mostly unpunctuated: sentences end at final particles and forms
    ("山田様ですねそれはお辛いですね痛みはいつごろからでしょうかお熱はございますか", 2),
    ("ありますので確認します", 0),
    ("痛みはいつ頃からでしょうか", 1),  # the particle か, with no "？"
    ("診察をおすすめします。", 0),
    ("何かございましたらお電話ください。", 0),  # 何か (something) is no question
])
def test_japanese_questions(text, questions):
    (doc,) = nlp.parse([text], "ja")
    assert len(nlp.question_sentences(doc)) == questions


# ------------------------------------------------------------------ the seven etiquette criteria


@pytest.mark.parametrize("opening, verdict", [
    (GOOD_OPENING, PASS),
    ("A: はい、さくら歯科の佐藤と申します。", PASS),  # honorific answer
    ("A: おはようございます。山本が承ります。", PASS),
    ("A: お電話誠にありがとうございます。鈴木でございます。", PASS),
    ("A: お電話ありがとうございます。さくら歯科でございます。", FAIL),  # no name: 歯科 is not one
    ("A: はい、田中です。", FAIL),  # bare はい: no greeting
    ("A: もしもし。", FAIL),
    ("A: もしもし、田中です。", FAIL),
])
def test_self_introduction_needs_a_polite_answer_and_a_name(opening, verdict):
    assert judge("self_introduction", call(opening, "C: 予約をしたいのですが。"))[0] == verdict


@pytest.mark.parametrize("opening, name", [
    # Sample call J08: "無料" ("free") is the fee's; the name 林 was written by its sound (早し).
    ("A: お忙しいところ恐れ入ります。スポーツクラブワカバの早しと申します。入会金は無料でございます。", "早し"),
    ("A: お電話ありがとうございます。料金は三千円でございます。", None),
    ("A: お電話ありがとうございます。私は林と申します。", "林"),  # the topic is the speaker
    ("A: お電話ありがとうございます。担当は林でございます。", "林"),
])
def test_a_word_said_of_another_topic_is_no_agents_name(opening, name):
    verdict, detail = judge("self_introduction", call(opening, "C: はい。"))
    assert (verdict, f"「{name}」" in detail) == (PASS, True) if name else verdict == FAIL, detail
    assert "無料" not in detail and "三千円" not in detail, detail


def test_a_price_written_with_a_space_between_its_thousands_is_one_amount():
    """Whisper writes "7 000円" (sample call J08): the amount is 7 000円, not 000円, and it is
    timed where it is said, not at the start of the agent's long utterance."""
    from qa_pipeline.criteria.common import time_of
    from qa_pipeline.records import Word

    verdict, detail = judge("no_price_before_need", call(GOOD_OPENING, "A: 月会費は7 000円でございます。"))
    assert verdict == FAIL and "「7 000円」" in detail, detail
    chars = ["お", "忙", "しい", "の", "速", "し", "と", "申", "します", "月", "が", "7", "000", "円", "入", "会"]
    words = tuple(Word(c, 3.0 + k, 3.5 + k) for k, c in enumerate(chars))
    utterance = Utterance(AGENT, 3.0, 19.0, "お忙しいの速しと申します月が7 000円入会", words)
    assert time_of(utterance, "7 000円") == 14.0 and time_of(utterance, "申します") == 10.0


@pytest.mark.parametrize("lines, verdict", [
    (["C: 山田太郎と申します。", "A: 山田様、ありがとうございます。"], PASS),
    (["A: お名前を伺ってもよろしいでしょうか？", "C: 森です。", "A: 森様ですね。"], PASS),  # one-kanji name
    (["C: かとうと申します。", "A: 加藤様、ありがとうございます。"], PASS),  # kana and kanji sound alike
    (["C: 山田と申します。", "A: ありがとうございます。"], FAIL),  # learned, never used
    (["C: 予約をお願いします。", "A: かしこまりました。"], FAIL),  # never learned
])
def test_name_use_with_a_title_after_the_name(lines, verdict):
    assert judge("name_use", call(GOOD_OPENING, *lines))[0] == verdict


def test_another_name_with_a_title_is_only_an_address():
    verdict, detail = judge("name_use", call(GOOD_OPENING, "C: 加藤と申します。", "A: 佐藤様、ありがとうございます。"))
    assert verdict == PASS and "お客様に「佐藤様」と呼びかけた" in detail  # addressed, not "called the caller" (呼んだ)


def test_name_use_from_metadata():
    assert judge("name_use", call(GOOD_OPENING, "C: はい。", "A: 鈴木様、お待たせいたしました。"),
                 CallMetadata("J", customer_name="鈴木"))[0] == PASS


@pytest.mark.parametrize("line, verdict", [
    ("A: はい、聞いております。どうぞ。", FAIL),
    ("A: はい、お聞きしています。", FAIL),
    ("A: 聞いてます。", FAIL),
    ("A: どうぞお話しください。", FAIL),
    ("A: 当店では「聞いています」とは言いません。", PASS),  # quoted
    ("A: 私は聞いていませんでした。申し訳ございません。", PASS),  # negated
    ("A: ご用件を伺います。", PASS),  # the right phrasing
])
def test_no_im_listening(line, verdict):
    assert judge("no_im_listening", call(GOOD_OPENING, line))[0] == verdict


def _overlap(agent_text: str) -> Transcript:
    return Transcript((Utterance(CUSTOMER, 0.5, 6.0, "実は昨日から歯が痛くて、冷たいものを飲むとしみるんです。"),
                       Utterance(AGENT, 3.0, 3.0 + 0.11 * len(agent_text), agent_text),  # aizuchi: about 8 morae a second
                       Utterance(AGENT, 7.0, 9.0, "かしこまりました。")), 12.0, 2, language="ja")


@pytest.mark.parametrize("agent_text, verdict", [
    ("はい。", PASS),
    ("なるほど。", PASS),
    ("ええ、そうですね。", PASS),
    ("それでしたら明日の十時に来てください。", FAIL),
])
def test_no_interrupting_lets_aizuchi_through(agent_text, verdict):
    assert judge("no_interrupting", _overlap(agent_text))[0] == verdict


@pytest.mark.parametrize("lines, verdict", [
    (["A: どの歯が痛みますか？", "C: 左下です。", "A: 痛みはいつ頃からでしょうか？"], PASS),
    (["A: そうですか。", "A: 他にご不明な点はございますか？"], FAIL),  # acknowledgement, closing check
    (["A: もう一度お願いできますか？", "A: 少々お待ちいただけますか？"], FAIL),  # repeat, hold
    (["A: どのようなご用件でしょうか？", "A: どの歯が痛みますか？"], FAIL),  # the opening offer does not count
])
def test_asked_questions_counts_questions_about_the_need(lines, verdict):
    assert judge("asked_questions", call(GOOD_OPENING, "C: 歯が痛いんです。", *lines))[0] == verdict


@pytest.mark.parametrize("lines, verdict", [
    (["A: どの歯が痛みますか？", "C: 奥歯です。", "A: 診察料は三千円です。"], PASS),
    (["A: 抜歯は5,000円です。", "A: どの歯が痛みますか？"], FAIL),
    (["A: 料金は1万5千円になります。"], FAIL),
    (["A: 残高は5000円です。"], PASS),  # an account amount is no price
    (["A: 十分ほどお待ちください。"], PASS),  # minutes, not money
])
def test_no_price_before_need(lines, verdict):
    assert judge("no_price_before_need", call(GOOD_OPENING, "C: 抜歯はいくらですか？", *lines))[0] == verdict


@pytest.mark.parametrize("last, verdict", [
    ("A: お電話ありがとうございました。失礼いたします。", PASS),
    ("A: では、明日お待ちしております。", PASS),
    ("A: お大事になさってください。", PASS),
    ("A: はい、以上です。", FAIL),
])
def test_said_goodbye(last, verdict):
    assert judge("said_goodbye", call(GOOD_OPENING, "C: わかりました。", last))[0] == verdict


# ------------------------------------------------------------------ call handling


@pytest.mark.parametrize("line, verdict", [
    ("A: それはわかりません。", FAIL),
    ("A: そちらはできません。", FAIL),
    ("A: 後でかけ直してください。", FAIL),
    ("A: どなたですか？", FAIL),
    ("A: 何の用ですか？", FAIL),
    ("A: お調べしてご連絡いたします。", PASS),
])
def test_no_forbidden_phrases(line, verdict):
    assert judge("no_forbidden_phrases", call(GOOD_OPENING, line))[0] == verdict


def test_a_bare_moshimoshi_is_a_wrong_opening():
    verdict, detail = judge("no_forbidden_phrases", call("A: もしもし。", "C: あの、予約の件で。"))
    assert verdict == FAIL and "お電話ありがとうございます" in detail


def test_hold_asked_and_thanked():
    good = Transcript((Utterance(AGENT, 0.5, 3.0, "お調べいたしますので、少々お待ちいただけますか？"),
                       Utterance(CUSTOMER, 3.2, 3.8, "はい。"),
                       Utterance(AGENT, 16.0, 18.0, "お待たせいたしました。"),
                       Utterance(CUSTOMER, 18.5, 19.5, "はい。")), 22.0, 2, language="ja")
    assert judge("hold_etiquette", good)[0] == PASS


@pytest.mark.parametrize("line, verdict", [
    ("A: では明日の午前十時にご予約をお取りしました。", PASS),
    ("A: 三十分以内に折り返しお電話いたします。", PASS),
    ("A: また後ほどご連絡いたします。", FAIL),  # vague
])
def test_next_step_agreed(line, verdict):
    assert judge("next_step_agreed", call(GOOD_OPENING, "C: お願いします。", line, *CLOSING))[0] == verdict


@pytest.mark.parametrize("line, verdict", [
    ("A: お電話番号を教えていただけますか？", PASS),
    ("A: ご連絡先を伺ってもよろしいでしょうか？", PASS),
    ("A: かしこまりました。", FAIL),
])
def test_contact_details_asked(line, verdict):
    assert judge("contact_details_asked", call(GOOD_OPENING, line))[0] == verdict


@pytest.mark.parametrize("last, verdict", [
    ("A: お電話ありがとうございました。", PASS),
    ("A: ご予約ありがとうございました。失礼いたします。", PASS),
    ("A: 失礼いたします。", FAIL),
])
def test_thanked_for_call(last, verdict):
    assert judge("thanked_for_call", call("A: はい、さくら歯科の田中でございます。", "C: わかりました。", last))[0] == verdict


@pytest.mark.parametrize("line, verdict", [
    ("A: 他に何かご質問はございますか？", PASS),
    ("A: ほかにご不明な点はございませんか？", PASS),
    ("A: 以上でございます。", FAIL),
])
def test_offered_further_help(line, verdict):
    assert judge("offered_further_help", call(GOOD_OPENING, "C: はい。", line, "C: 大丈夫です。",
                                              "A: 失礼いたします。"))[0] == verdict


def test_acknowledged_caller_hears_aizuchi():
    long_turn = "C: 実は昨日の夜から左下の奥歯がずっと痛くて冷たいものを飲むとすごくしみるんです"  # as Whisper writes it
    assert judge("acknowledged_caller", call(GOOD_OPENING, long_turn, "A: さようでございますか。大変でしたね。"))[0] == PASS
    assert judge("acknowledged_caller", call(GOOD_OPENING, long_turn, "A: 明日の十時に来てください。"))[0] == FAIL
    assert judge("acknowledged_caller", call(GOOD_OPENING, "C: 奥歯が痛いんです。", "A: 明日来てください。"))[0] == NOT_APPLICABLE


def test_speaking_pace_counts_characters():
    text = "本日はお忙しいところ誠にありがとうございます。"
    calm = Transcript(tuple(Utterance(AGENT, 5.0 * k, 5.0 * k + 4.0, text) for k in range(4)), 25.0, 2, language="ja")
    fast = Transcript(tuple(Utterance(AGENT, 5.0 * k, 5.0 * k + 2.5, text * 2) for k in range(5)), 30.0, 2, language="ja")
    assert judge("speaking_pace", calm)[0] == PASS  # 23 characters in 4 s: 345 a minute
    verdict, detail = judge("speaking_pace", fast)
    assert verdict == FAIL and "文字/分" in detail  # characters a minute, in the call's language
    assert judge("speaking_pace", call("A: はい。"))[0] == NOT_APPLICABLE


def test_whisper_pieces_join_without_spaces():
    from qa_pipeline.records import Word
    from qa_pipeline.speech.utterances import join_words, word_offsets

    words = [Word(t, 0.0, 0.1) for t in ("お", "電", "話", "あり", "が", "とう", "午", "前", "10", "時", "OK", "thanks")]
    text = join_words(words)
    assert text == "お電話ありがとう午前10時 OK thanks"
    assert [text[a:b] for a, b in word_offsets(words)] == [w.text for w in words]


@pytest.mark.parametrize("agent, customer, direction", [
    ("お電話ありがとうございます作らしか受け付けの田中でございます", "もしもし山田と申します見ていただきたいのです", "inbound"),
    ("お忙しいところ失礼いたしますさくら保険の田中と申します山田様でいらっしゃいますか", "はい山田です", "outbound"),
])
def test_roles_and_direction_from_japanese_cues(agent, customer, direction):
    from qa_pipeline.speech.roles import decide_roles, load_cues

    picks_up_first = direction == "outbound"
    result = decide_roles({"0": [Utterance("unknown", 2.0, 5.0, agent)],
                           "1": [Utterance("unknown", 0.5 if picks_up_first else 6.0, 9.0, customer)]}, load_cues("ja"))
    assert result.agent == "0" and not result.low_confidence() and result.direction.direction == direction


@pytest.mark.parametrize("last, cut", [
    ("C: ありがとございました失礼します", False),  # a closing, unpunctuated as Whisper writes it
    ("C: 明日の午後なら大丈夫です", False),  # no 。, but no sign of stopping mid-phrase
    ("C: じゃ、その日に", False),  # spoken Japanese leaves the rest unsaid
    ("C: それで、明日の午後は、", True),  # stops on a comma
])
def test_cutoff_reads_japanese_endings(last, cut):
    from qa_pipeline.criteria.cutoff import find_cutoff

    transcript = call("A: 明日の午後に伺います。", last)
    transcript = Transcript(transcript.utterances, transcript.utterances[-1].end + 0.3, 2, language="ja")
    assert (find_cutoff(transcript) is not None) == cut


def test_a_word_that_sounds_like_part_of_the_name_is_no_use_of_it():
    assert judge("name_use", call(GOOD_OPENING, "C: 本と申します。", "A: 保険証はお手元にありますか？"))[0] == FAIL
