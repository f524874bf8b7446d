"""CSV writers that neutralise spreadsheet formulas (CSV injection), for every CSV the project writes.

OWASP's rule: a cell must not start with `=`, `+`, `-`, `@`, a tab or a carriage
return, or a spreadsheet may run it as a formula (`=HYPERLINK(...)` in a call id or a
file name). `defusedcsv` prefixes such cells with `'`, which spreadsheets take as
"this is text" and do not show. It covers `=`, `+`, `-`, `@` (and `|`, `%`) but not
a leading tab or carriage return, so this module adds those two on top of it.

Numbers stay numbers: a Python int or float, or a string that is only a (negative)
number like `-12.5`, is written as is. A number cannot be a formula, and a quote in
front would turn a numeric column into text. Every number we write (scores,
durations, counts) is zero or more anyway.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from defusedcsv import csv as _defused

_ALSO_LEADING = ("\t", "\r")


def _guard(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_ALSO_LEADING):
        return "'" + value
    return value


class _Writer:
    """A defusedcsv writer that also neutralises cells starting with a tab or a carriage return."""

    def __init__(self, inner):
        self._inner = inner

    def writerow(self, row: Iterable[Any]):
        return self._inner.writerow([_guard(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)

    def __getattr__(self, name: str):
        return getattr(self._inner, name)


def writer(csvfile, dialect: str = "excel", **fmtparams) -> _Writer:
    """Like `csv.writer`, with every cell neutralised as the module docstring says."""
    return _Writer(_defused.writer(csvfile, dialect, **fmtparams))


class DictWriter(_defused.DictWriter):
    """Like `csv.DictWriter`, with every cell (header included) neutralised."""

    def __init__(self, f, fieldnames, restval="", extrasaction="raise", dialect="excel", *args, **kwds):
        super().__init__(f, fieldnames, restval, extrasaction, dialect, *args, **kwds)
        self.writer = _Writer(self.writer)
