"""Errors a user can act on. Each names the thing at fault and what was expected."""

from __future__ import annotations


class QAPipelineError(Exception):
    """Base class: the CLI prints these as one line, without a traceback."""


class RecordingError(QAPipelineError):
    """A recording that cannot be processed. The batch reports it and goes on."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


class ConfigError(QAPipelineError):
    """A rubric, model or setting that is malformed or missing."""
