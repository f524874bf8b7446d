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

import gettext
from functools import cache
from pathlib import Path

from qa_pipeline.catalogues import KEYWORDS, N_, Template, compiled, merge, msgids, templates, translate_formatted

DOMAIN = "details"
# Languages with a detail catalogue; every other language reads its details in English.
CATALOGUE_LANGUAGES = ("el", "ja", "ko", "ru")
# The markers the criteria use (`CallContext._`, `CallContext.ngettext`, `N_`, and
# `_ = translation(code).gettext` where there is no context, as in `cutoff`): `catalogues.KEYWORDS`.
# The code that writes detail lines and the card's warnings, relative to the qa_pipeline package.
SOURCES = ("criteria", "sales", "scoring.py", "speech", "records.py", "pipeline.py")
# Where the card's warnings are written (in English; `card_text` translates them). Only these
# templates are read back out of a warning: a detail template ("'{said}'") could match its values.
WARNING_SOURCES = ("speech/", "records.py", "scoring.py", "pipeline.py")


__all__ = ["KEYWORDS", "N_", "NOT_PERFORMED", "translation", "card_text", "extracted", "update"]

# Why a phrase heard was not said as such (`phrases.not_performed`), as the criteria pass it
# through `CallContext._`.
NOT_PERFORMED = (N_("negated"), N_("quoted"))


# Cached per language: a GNUTranslations is only read after it is built, so threads scoring
# calls in several languages at once share these without locking (no process-global
# `gettext.install`: each call's context picks its own). `cache` may build one twice in a
# race; both are equal, and one is kept.
@cache
def translation(code: str) -> gettext.NullTranslations:
    """The compiled detail catalogue of language `code`; English (the msgids) when it has none."""
    if code not in CATALOGUE_LANGUAGES:
        return gettext.NullTranslations()
    return compiled("qa_pipeline.criteria", code, DOMAIN)


# Cached as `translation` is: built once per language, then only read.
@cache
def _templates(code: str) -> tuple[Template, ...]:
    return templates(msgids("qa_pipeline.criteria", code, DOMAIN, WARNING_SOURCES)) if code in CATALOGUE_LANGUAGES else ()


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


def catalogue_path(code: str) -> Path:
    return Path(__file__).parent / "locale" / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def extracted():
    """A Babel `Catalog` of every detail template marked in `SOURCES` (msgid, or (singular, plural))."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_file

    package = Path(__file__).parent.parent
    catalog = Catalog(project="qa-pipeline", charset="utf-8")
    for source in SOURCES:
        root = package / source
        files = sorted(root.rglob("*.py")) if root.is_dir() else [root]
        for path in files:
            for line, message, comments, context in extract_from_file("python", str(path), keywords=KEYWORDS):
                catalog.add(message, None, [(str(path.relative_to(package)), line)], auto_comments=comments,
                            context=context)
    return catalog


def update() -> None:
    """Merge the extracted templates into every catalogue (kept ones keep their translation)."""
    template = extracted()
    for code in CATALOGUE_LANGUAGES:
        merge(template, catalogue_path(code), code, f"# Detail lines of the criteria ({code}); see docs/languages.md.")


if __name__ == "__main__":
    update()
