"""gettext catalogues kept as `.po` files (package data) and compiled in memory with Babel.

The three translated parts of the product use it: the criteria's detail lines and the card's
warnings (`qa_pipeline.criteria.i18n`), the HTML scorecard's own words
(`qa_pipeline.report_i18n`) and the review app's interface (`qa_pipeline.web.i18n`).
Each is a `Domain` (its catalogues, languages and sources). Babel reads and compiles the
`.po` files when a language is first used, so no build step makes `.mo` files; a domain's
`update()` (each part's ``python -m`` entry) merges newly marked strings into its catalogues.
"""

from __future__ import annotations

import gettext
import io
import re
import string
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

# Babel's keywords for the markers the three parts use: `_`, `gettext`, `ngettext` (singular,
# plural) and `N_` (mark only, translated later).
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark for extraction only"
    """Mark a string for extraction, translated later where it is shown; returns it unchanged."""
    return message


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


# The qa_pipeline package: sources are found in it, and a catalogue's ``#:`` comments name them relative to it.
ROOT = Path(__file__).parent
# A source's extraction method (Babel's) and its options, by the file's suffix: Python code, Jinja2 templates.
METHODS = {".py": ("python", {}), ".html": ("jinja2.ext:babel_extract", {"extensions": "jinja2.ext.i18n"})}


@dataclass(frozen=True)
class Domain:
    """One set of gettext catalogues: ``locale/<code>/LC_MESSAGES/<name>.po`` of `package` for
    each code of `languages`; any other language reads the msgids themselves (English).

    `sources` are glob patterns relative to the qa_pipeline package (``"speech/**/*.py"``),
    extracted in that order (each pattern's files sorted; a catalogue keeps its strings in this
    order), each file by the method of its suffix (`METHODS`). `header` is the comment a new
    catalogue starts with (``{code}``: its language). `locations`: whether the catalogue says
    where each string is marked (``#:`` comments; `msgids` selects by them).
    """

    package: str
    name: str
    languages: tuple[str, ...]
    sources: tuple[str, ...]
    header: str
    locations: bool = True

    # Cached per language: a GNUTranslations is only read after it is built, so threads scoring
    # or rendering calls in several languages at once share these without locking (no
    # process-global `gettext.install`: each caller picks its language). `cache` may build one
    # twice in a race; both are equal, and one is kept. The domains are module constants, kept
    # for the life of the process anyway, so the cache holding them keeps nothing alive.
    @cache  # noqa: B019
    def translation(self, code: str) -> gettext.NullTranslations:
        """The compiled catalogue of language `code`; English (the msgids) when it has none."""
        if code not in self.languages:
            return gettext.NullTranslations()
        from babel.messages.mofile import write_mo

        buffer = io.BytesIO()
        write_mo(buffer, self._read(code))
        buffer.seek(0)
        return gettext.GNUTranslations(buffer)

    def msgids(self, code: str, sources: Sequence[str] = ("",)) -> tuple[str, ...]:
        """The (singular) msgids of the catalogue of `code`, in file order: those marked in a
        file whose path (the catalogue's ``#:`` comments) starts with one of `sources`."""
        return tuple(m.id if isinstance(m.id, str) else m.id[0] for m in self._read(code)
                     if m.id and any(path.startswith(tuple(sources)) for path, _ in m.locations))

    def catalogue_path(self, code: str) -> Path:
        """The catalogue file of language `code` (package data; it need not exist yet)."""
        return Path(str(resources.files(self.package))).joinpath("locale", code, "LC_MESSAGES", f"{self.name}.po")

    def _read(self, code: str):
        """The catalogue of `code` as a Babel `Catalog`; FileNotFoundError when there is none."""
        from babel.messages.pofile import read_po

        with self.catalogue_path(code).open("rb") as handle:
            return read_po(handle, locale=code)

    def extracted(self):
        """A Babel `Catalog` of every string marked in `sources` (msgid, or (singular, plural))."""
        from babel.messages.catalog import Catalog
        from babel.messages.extract import extract_from_file

        catalog = Catalog(project="qa-pipeline", charset="utf-8")
        for pattern in self.sources:
            for path in sorted(ROOT.glob(pattern)):
                method, options = METHODS[path.suffix]
                for line, message, comments, context in extract_from_file(method, str(path), keywords=KEYWORDS,
                                                                          options=options):
                    where = [(str(path.relative_to(ROOT)), line)] if self.locations else []
                    catalog.add(message, None, where, auto_comments=comments, context=context)
        return catalog

    def update(self) -> None:
        """Merge the extracted strings into the catalogue of every language, creating a missing one
        with `header`: kept strings keep their translation, new ones are untranslated."""
        from babel.messages.catalog import Catalog
        from babel.messages.pofile import read_po, write_po

        template = self.extracted()
        for code in self.languages:
            path = self.catalogue_path(code)
            if path.exists():
                with path.open("rb") as handle:
                    catalog = read_po(handle, locale=code)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                catalog = Catalog(locale=code, project="qa-pipeline", version="", msgid_bugs_address="",
                                  charset="utf-8", last_translator="qa-pipeline", language_team="qa-pipeline",
                                  fuzzy=False, header_comment=self.header.format(code=code))
            catalog.update(template, no_fuzzy_matching=True)
            with path.open("wb") as handle:
                write_po(handle, catalog, width=0, omit_header=False, ignore_obsolete=True, include_lineno=False)
