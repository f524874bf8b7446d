"""qa-pipeline: offline speech-analytics QA for recorded phone calls."""

__version__ = "0.2.0"  # the package version (pyproject reads it here); see CHANGELOG.md
