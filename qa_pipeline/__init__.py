"""qa-pipeline: offline speech-analytics QA for recorded phone calls."""

__version__ = "0.1.0"
