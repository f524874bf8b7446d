"""The HTML scorecard's own words in the call's language: gettext catalogues read with Babel.

The template (`templates/scorecard.html`) marks its headings, labels and sentences with
Jinja2's i18n extension (``{{ _("Recording") }}``, ``ngettext``); the words it shows from
data (verdicts, speakers) are listed here (`VERDICTS`, `SPEAKERS`). Catalogues are
``locale/<code>/LC_MESSAGES/card.po`` beside this module (package data), compiled in memory
when first used, as the criteria's and the review app's are (`qa_pipeline.catalogues`): no
build step makes ``.mo`` files. English is the msgids themselves, so an English card reads
exactly as the template is written; a language without a catalogue reads English.

``python -m qa_pipeline.report_i18n`` extracts the marked strings (Babel with Jinja2's
extractor, and its Python extractor for this module) and merges them into each catalogue,
new ones untranslated.
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

from qa_pipeline.catalogues import KEYWORDS, N_, compiled, merge

DOMAIN = "card"
# Languages with a card catalogue. Greek and Korean are not yet reviewed by a native QA
# supervisor (their catalogues say so in their header), as their rubrics are not.
CATALOGUE_LANGUAGES = ("el", "ja", "ko", "ru")

# A verdict (`CriterionResult.verdict`) -> its word on the card, marked for translation.
VERDICTS = {"pass": N_("pass"), "fail": N_("fail"), "not_applicable": N_("not applicable")}
# A speaker (`Utterance.speaker`, `Evidence.speaker`) -> its word on the card.
SPEAKERS = {"agent": N_("agent"), "customer": N_("customer"), "system": N_("system"), "unknown": N_("unknown"),
            "other": N_("other")}


# Cached per language: a GNUTranslations is only read after it is built, so threads writing
# cards in several languages share these without locking (`cache` may build one twice in a
# race; both are equal, and one is kept).
@cache
def translation(code: str) -> gettext.NullTranslations:
    """The compiled card catalogue of language `code`; English (the msgids) when it has none."""
    if code not in CATALOGUE_LANGUAGES:
        return gettext.NullTranslations()
    return compiled("qa_pipeline", code, DOMAIN)


def catalogue_path(code: str) -> Path:
    return Path(__file__).parent / "locale" / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def extracted():
    """A Babel `Catalog` of every string marked in the scorecard template and in this module."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_file

    package = Path(__file__).parent
    sources = (("jinja2.ext:babel_extract", package / "templates" / "scorecard.html"),
               ("python", Path(__file__)))
    catalog = Catalog(project="qa-pipeline", charset="utf-8")
    for method, path in sources:
        found = extract_from_file(method, str(path), keywords=KEYWORDS, options={"extensions": "jinja2.ext.i18n"})
        for line, message, comments, context in found:
            catalog.add(message, None, [(str(path.relative_to(package)), line)], auto_comments=comments,
                        context=context)
    return catalog


def update() -> None:
    """Merge the extracted strings into every catalogue (kept ones keep their translation)."""
    template = extracted()
    for code in CATALOGUE_LANGUAGES:
        merge(template, catalogue_path(code), code, f"# The HTML scorecard's own words ({code}); see docs/languages.md.")


if __name__ == "__main__":
    update()
