"""The review app's interface language: gettext catalogues read with Babel, one language per request.

Catalogues are `locale/<code>/LC_MESSAGES/messages.po` beside this module (package data),
compiled in memory when first used, so no build step makes `.mo` files. The language of a
request: `?lang=CODE` (remembered in a cookie), else the cookie, else the browser's
`Accept-Language` (Babel's negotiation), else English. Strings in the templates are marked
with `_()`, `ngettext()` or `{% trans %}`; `python -m qa_pipeline.web.i18n` extracts them
(Babel with Jinja2's extractor) and merges them into each catalogue, new ones untranslated.
"""

from __future__ import annotations

from contextvars import ContextVar

from qa_pipeline.catalogues import N_, Domain

LANGUAGES = {"en": "English", "ru": "Русский"}
DEFAULT = "en"
COOKIE = "qa_lang"
_current: ContextVar[str] = ContextVar("qa_pipeline_web_language", default=DEFAULT)
# The app's catalogues (English is the msgids themselves); the sources in file-name order, the
# order the catalogue lists their strings in. It has no ``#:`` comments: nothing selects by them.
MESSAGES = Domain("qa_pipeline.web", "messages", tuple(code for code in LANGUAGES if code != DEFAULT),
                  sources=("web/charts.py", "web/i18n.py", "web/kpi_charts.py", "web/templates/**/*.html"),
                  header="# The review app's interface ({code}); see docs/review-app.md.", locations=False)
# The compiled catalogue of a language code: English (the msgids) for en or an unknown code.
catalogue = MESSAGES.translation
extracted = MESSAGES.extracted
update = MESSAGES.update


def choose(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The language code for a request (see the module docstring)."""
    for given in (query, cookie):
        if given in LANGUAGES:
            return given
    if accept_language:
        from babel import Locale

        wanted = [part.split(";")[0].strip().replace("-", "_") for part in accept_language.split(",")]
        found = Locale.negotiate([w for w in wanted if w and w != "*"], list(LANGUAGES), sep="_")
        if found is not None:
            return str(found.language)
    return DEFAULT


def activate(code: str):
    """Make `code` the current request's language; returns the token `deactivate` takes."""
    return _current.set(code if code in LANGUAGES else DEFAULT)


def deactivate(token) -> None:
    _current.reset(token)


def current() -> str:
    return _current.get()


def gettext_(message: str) -> str:
    """`message` in the request's language; an empty one stays empty (gettext gives "" the catalogue's header)."""
    return catalogue(current()).gettext(message) if message else message


def ngettext_(singular: str, plural: str, n: int) -> str:
    return catalogue(current()).ngettext(singular, plural, n)


# Words the templates translate from data (`_(status)`), listed so that extraction finds them.
DATA_WORDS = (
    N_("supervisor"), N_("trainer"), N_("agent"),
    N_("unreviewed"), N_("in review"), N_("reviewed"),
    N_("pass"), N_("fail"), N_("not applicable"), N_("Agent"), N_("Customer"), N_("System"),
    N_("customer"), N_("system"), N_("other"), N_("Other"),
    N_("Do not call"), N_("Not decided"), N_("Call again"), N_("Unknown"), N_("No status"),
    N_("No need"), N_("No authority"), N_("Has comparable service"), N_("Invalid number"),
    N_("Gatekeeper refused"), N_("Refused no reason"), N_("Contact absent"), N_("Bad timing"),
    N_("Replaceable service"), N_("Comparing vendors"), N_("Wants materials"), N_("Meeting booked"),
)


if __name__ == "__main__":
    update()
