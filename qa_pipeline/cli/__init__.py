"""The `qa-pipeline` command: a thin click group.

Each command lives in its own module and is imported only when it runs, so
`qa-pipeline --help` stays fast and a command's heavy dependencies (Whisper,
Prefect, the web stack) load only for that command.
"""

from __future__ import annotations

import importlib
import importlib.util

import click

from qa_pipeline import __version__
from qa_pipeline.errors import QAPipelineError

COMMANDS = {
    "transcribe": ("qa_pipeline.cli.transcribe", "Transcribe recordings into speaker-labelled transcripts."),
    "score": ("qa_pipeline.cli.score", "Score recordings against a rubric and write scorecards."),
    "evaluate": ("qa_pipeline.cli.evaluate", "Measure agreement with a labelled folder of calls."),
    "train": ("qa_pipeline.cli.train", "Rebuild the classifier models (default: the checkout's models/)."),
    "serve": ("qa_pipeline.cli.serve", "Run the review web app."),
    "user": ("qa_pipeline.cli.user", "Manage review app accounts."),
    "db": ("qa_pipeline.cli.db", "Create or upgrade the results store (db init)."),
    "import": ("qa_pipeline.cli.store_import", "Import scorecard JSON files into the results store."),
    "redact": ("qa_pipeline.cli.redact", "Re-redact PII in existing output folders, transcript caches and the store."),
}


def _available() -> dict[str, tuple[str, str]]:
    found = {}
    for name, (module, help_text) in COMMANDS.items():
        if importlib.util.find_spec(module) is not None:
            found[name] = (module, help_text)
    return found


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted(_available())

    def get_command(self, ctx, name):
        entry = _available().get(name)
        if entry is None:
            return None
        return importlib.import_module(entry[0]).command

    def format_commands(self, ctx, formatter):
        rows = [(name, help_text) for name, (_, help_text) in sorted(_available().items())]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except QAPipelineError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="qa-pipeline")
def main() -> None:
    """Score recorded phone calls against a telephone-etiquette rubric, offline."""
