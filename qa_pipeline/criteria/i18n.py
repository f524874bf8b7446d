"""Criteria detail lines in the call's language: gettext catalogues read with Babel.

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
import io
from functools import cache
from importlib import resources
from pathlib import Path

DOMAIN = "details"
# Languages with a detail catalogue; every other language reads its details in English.
CATALOGUE_LANGUAGES = ("el", "ja", "ko", "ru")
# Babel's keywords for the markers the criteria use (`CallContext._`, `CallContext.ngettext`, `N_`,
# and `_ = translation(code).gettext` where there is no context, as in `cutoff`).
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
# The code that writes detail lines, relative to the qa_pipeline package.
SOURCES = ("criteria", "sales", "scoring.py")


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark for extraction only"
    """Mark a template or word translated later (`CallContext._(word)`); returns it unchanged."""
    return message


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
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    source = resources.files("qa_pipeline.criteria").joinpath("locale", code, "LC_MESSAGES", f"{DOMAIN}.po")
    with source.open("rb") as handle:
        catalog = read_po(handle, locale=code)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


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
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    template = extracted()
    for code in CATALOGUE_LANGUAGES:
        path = catalogue_path(code)
        if path.exists():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=code)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=code, project="qa-pipeline", version="", msgid_bugs_address="", charset="utf-8",
                              last_translator="qa-pipeline", language_team="qa-pipeline", fuzzy=False,
                              header_comment=f"# Detail lines of the criteria ({code}); see docs/languages.md.")
        catalog.update(template, no_fuzzy_matching=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=0, omit_header=False, ignore_obsolete=True, include_lineno=False)


if __name__ == "__main__":
    update()
