"""gettext catalogues kept as `.po` files (package data) and compiled in memory with Babel.

Both translated parts of the product use it: the criteria's detail lines
(`qa_pipeline.criteria.i18n`) and the review app's interface (`qa_pipeline.web.i18n`).
Babel reads and compiles the `.po` files when a language is first used, so no build step
makes `.mo` files; each part's `update()` merges newly marked strings into its catalogues.
"""

from __future__ import annotations

import gettext
import io
from pathlib import Path

# Babel's keywords for the markers both parts use: `_`, `gettext`, `ngettext` (singular,
# plural) and `N_` (mark only, translated later).
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark for extraction only"
    """Mark a string for extraction, translated later where it is shown; returns it unchanged."""
    return message


def compiled(package: str, code: str, domain: str) -> gettext.GNUTranslations:
    """The catalogue `locale/<code>/LC_MESSAGES/<domain>.po` of `package`, compiled in memory.

    Raises FileNotFoundError when the package has no such catalogue."""
    from importlib import resources

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    source = resources.files(package).joinpath("locale", code, "LC_MESSAGES", f"{domain}.po")
    with source.open("rb") as handle:
        catalog = read_po(handle, locale=code)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def merge(template, path: Path, code: str, header: str) -> None:
    """Merge the extracted `template` (a Babel `Catalog`) into the catalogue at `path`, creating
    it with `header` when missing: kept strings keep their translation, new ones are untranslated."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    if path.exists():
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=code)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog = Catalog(locale=code, project="qa-pipeline", version="", msgid_bugs_address="", charset="utf-8",
                          last_translator="qa-pipeline", language_team="qa-pipeline", fuzzy=False, header_comment=header)
    catalog.update(template, no_fuzzy_matching=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=0, omit_header=False, ignore_obsolete=True, include_lineno=False)
