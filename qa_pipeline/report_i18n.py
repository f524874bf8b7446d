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

from qa_pipeline.catalogues import N_, Domain

# Languages with a card catalogue. Greek and Korean are not yet reviewed by a native QA
# supervisor (their catalogues say so in their header), as their rubrics are not.
CARD = Domain("qa_pipeline", "card", ("el", "ja", "ko", "ru"), sources=("templates/scorecard.html", "report_i18n.py"),
              header="# The HTML scorecard's own words ({code}); see docs/languages.md.")
CATALOGUE_LANGUAGES = CARD.languages

# A verdict (`CriterionResult.verdict`) -> its word on the card, marked for translation.
VERDICTS = {"pass": N_("pass"), "fail": N_("fail"), "not_applicable": N_("not applicable")}
# A speaker (`Utterance.speaker`, `Evidence.speaker`) -> its word on the card.
SPEAKERS = {"agent": N_("agent"), "customer": N_("customer"), "system": N_("system"), "unknown": N_("unknown"),
            "other": N_("other")}

translation = CARD.translation
catalogue_path = CARD.catalogue_path
extracted = CARD.extracted
update = CARD.update


if __name__ == "__main__":
    update()
