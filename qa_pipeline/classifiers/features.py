"""Text features and the scikit-learn pipeline both classifiers share.

Utterances reach the classifier as Whisper writes them ("It's $65.", "its sixty five
pounds") or as people write them ("sixty-five pounds"), so the text is first
normalised: lower case, and every amount, digit run or number word becomes the token
`num`, currency signs become `currency`. Word 1-2 grams catch phrasing ("can i take",
"anything else"); character 2-5 grams survive ASR misspellings.
"""

from __future__ import annotations

import re

NUMBER_WORDS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy "
    "eighty ninety hundred thousand".split()
)
_CURRENCY = re.compile(r"[$£€]")
_DIGITS = re.compile(r"\d+(?:[.,:]\d+)*")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?|num|currency|\S")


def normalise_text(text: str) -> str:
    """Lower-case `text` and replace amounts with `num` / `currency` tokens."""
    text = _CURRENCY.sub(" currency ", text.lower())
    text = _DIGITS.sub(" num ", text.replace("-", " "))
    words = ("num" if w in NUMBER_WORDS else w for w in _WORD.findall(text))
    return " ".join(words)


def build_pipeline(random_state: int = 0, c: float = 10.0, calibration_folds: int = 3):
    """An unfitted Pipeline: word + char TF-IDF -> calibrated multinomial logistic regression."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import FeatureUnion, Pipeline

    features = FeatureUnion([
        ("words", TfidfVectorizer(preprocessor=normalise_text, ngram_range=(1, 2),
                                  sublinear_tf=True, token_pattern=r"(?u)\b\w+\b|\?")),
        ("chars", TfidfVectorizer(preprocessor=normalise_text, analyzer="char_wb",
                                  ngram_range=(2, 5), sublinear_tf=True, min_df=2)),
    ])
    classifier = CalibratedClassifierCV(
        LogisticRegression(C=c, max_iter=3000, random_state=random_state),
        method="sigmoid",
        cv=StratifiedKFold(calibration_folds, shuffle=True, random_state=random_state),
    )
    return Pipeline([("features", features), ("classifier", classifier)])
