"""gettext catalogues kept as `.po` files (package data) and compiled in memory with Babel.

The three translated parts of the product use it: the criteria's detail lines and the card's
warnings (`qa_pipeline.criteria.i18n`), the HTML scorecard's own words
(`qa_pipeline.report_i18n`) and the review app's interface (`qa_pipeline.web.i18n`).
Babel reads and compiles the `.po` files when a language is first used, so no build step
makes `.mo` files; each part's `update()` merges newly marked strings into its catalogues.
"""

from __future__ import annotations

import gettext
import io
import re
import string
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
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


def msgids(package: str, code: str, domain: str, sources: Sequence[str] = ("",)) -> tuple[str, ...]:
    """The (singular) msgids of the catalogue `locale/<code>/LC_MESSAGES/<domain>.po` of `package`, in file order:
    those marked in a file whose path (the catalogue's ``#:`` comments) starts with one of `sources`."""
    from importlib import resources

    from babel.messages.pofile import read_po

    source = resources.files(package).joinpath("locale", code, "LC_MESSAGES", f"{domain}.po")
    with source.open("rb") as handle:
        catalog = read_po(handle, locale=code)
    return tuple(m.id if isinstance(m.id, str) else m.id[0] for m in catalog
                 if m.id and any(path.startswith(tuple(sources)) for path, _ in m.locations))


@dataclass(frozen=True)
class Template:
    """A marked template with named placeholders (``"stopped at {time} s"``) and the regular
    expression that reads its values back out of a text formatted from it."""

    msgid: str
    pattern: re.Pattern[str]
    literal: int  # characters of fixed text: where two templates match, the longer one is the more specific

    @classmethod
    def of(cls, msgid: str) -> Template | None:
        """The template, or None when `msgid` has no placeholder, or one with a conversion or
        format spec (its value could not be formatted again as read back: a string)."""
        parts, seen, literal = [], set(), 0
        for text, name, spec, conversion in string.Formatter().parse(msgid):
            parts.append(re.escape(text))
            literal += len(text)
            if name is None:
                continue
            if not name.isidentifier() or spec or conversion:
                return None
            parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
            seen.add(name)
        return cls(msgid, re.compile("".join(parts), re.DOTALL), literal) if seen else None


def templates(ids: Iterable[str]) -> tuple[Template, ...]:
    """The templates among `ids` (msgids), the most specific first."""
    found = [t for t in (Template.of(i) for i in ids) if t is not None]
    return tuple(sorted(found, key=lambda t: (-t.literal, t.msgid)))


def translate_formatted(text: str, gettext_: Callable[[str], str], known: Sequence[Template], depth: int = 3) -> str:
    """`text`, written in English from a marked message, in the language of `gettext_`.

    A text that is a msgid is translated as it stands; one formatted from a template of
    `known` (the first, most specific one that matches it whole) is read back into its
    values, each value translated the same way (a reason inside a warning), and the
    template's translation formatted with them. Any other text comes back unchanged: words
    from the call, a message no catalogue holds, a text already translated. `depth` bounds
    how deep values are followed. An empty text stays empty (gettext gives "" the catalogue's header).
    """
    if not text:
        return text
    exact = gettext_(text)
    if exact != text or depth <= 0:
        return exact
    for template in known:
        found = template.pattern.fullmatch(text)
        if found is None:
            continue
        translated = gettext_(template.msgid)
        if translated == template.msgid:
            return text
        values = {k: translate_formatted(v, gettext_, known, depth - 1) for k, v in found.groupdict().items()}
        return translated.format(**values)
    return text


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
