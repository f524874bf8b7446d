"""Criteria detail lines and the card's warnings in the call's language: gettext catalogues read with Babel.

Each detail line is an English template with named placeholders, marked where it is
written (``ctx._("agent gave name '{name}' at {time}").format(name=..., time=...)``) and
formatted after translation, so a translation may reorder the values. English is the
msgids themselves, so English cards read exactly as the templates do. Catalogues are
``locale/<code>/LC_MESSAGES/details.po`` beside this module (package data), compiled in
memory when first used, as the review app's are (`qa_pipeline.web.i18n`): no build step
makes ``.mo`` files. A language without a catalogue, or a message a catalogue lacks,
reads in English.

Numbers and units are formatted by the code, the same in every language ("3.0 s"); the
quoted words of a detail are the call's own and stay as heard.

``python -m qa_pipeline.criteria.i18n`` extracts the marked templates (Babel's Python
extractor) and merges them into each catalogue, new ones untranslated.
"""

from __future__ import annotations

from functools import cache

from qa_pipeline.catalogues import KEYWORDS, N_, Domain, Template, templates, translate_formatted

# Languages with a detail catalogue (every other language reads its details in English) and
# the code that writes detail lines and the card's warnings, relative to the qa_pipeline
# package. The markers the criteria use (`CallContext._`, `CallContext.ngettext`, `N_`, and
# `_ = translation(code).gettext` where there is no context, as in `cutoff`): `catalogues.KEYWORDS`.
DETAILS = Domain("qa_pipeline.criteria", "details", ("el", "ja", "ko", "ru"),
                 sources=("criteria/**/*.py", "sales/**/*.py", "scoring.py", "speech/**/*.py", "records.py",
                          "pipeline.py"),
                 header="# Detail lines of the criteria ({code}); see docs/languages.md.")
CATALOGUE_LANGUAGES = DETAILS.languages
# Where the card's warnings are written (in English; `card_text` translates them). Only these
# templates are read back out of a warning: a detail template ("'{said}'") could match its values.
WARNING_SOURCES = ("speech/", "records.py", "scoring.py", "pipeline.py")

translation = DETAILS.translation
catalogue_path = DETAILS.catalogue_path
extracted = DETAILS.extracted
update = DETAILS.update

__all__ = ["KEYWORDS", "N_", "NOT_PERFORMED", "translation", "card_text", "extracted", "update"]

# Why a phrase heard was not said as such (`phrases.not_performed`), as the criteria pass it
# through `CallContext._`.
NOT_PERFORMED = (N_("negated"), N_("quoted"))


# Cached as `translation` is (`catalogues.Domain.translation`): built once per language, then only read.
@cache
def _templates(code: str) -> tuple[Template, ...]:
    return templates(DETAILS.msgids(code, WARNING_SOURCES)) if code in CATALOGUE_LANGUAGES else ()


def card_text(text: str, code: str) -> str:
    """`text`, an English line of the card formatted from a marked template (a warning of the
    speech stage: "speech recognition stopped at 41.5 s of the recording: ..."), in language `code`.

    Lower stages keep their warnings in English (the transcript, its cache and
    `qa-pipeline transcribe` read them so); scoring puts them on the card through this. The
    values are read back out of the English text (`catalogues.translate_formatted`), so a
    template's placeholders must stand between fixed words. English, a language without a
    catalogue, and a text no template makes come back unchanged.
    """
    if code not in CATALOGUE_LANGUAGES:
        return text
    return translate_formatted(text, translation(code).gettext, _templates(code))


if __name__ == "__main__":
    update()
