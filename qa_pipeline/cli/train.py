"""`qa-pipeline train`: rebuild the classifier models and their cards."""

from __future__ import annotations

from pathlib import Path

import click

from qa_pipeline.errors import ConfigError
from qa_pipeline.files import source_checkout

DATA_PARTS = ("dialogue_acts", "outcomes", "asr_augmented")


def default_data_dir() -> Path:
    """The checkout's data/ folder; the training data is not part of an installed package."""
    checkout = source_checkout()
    data = checkout / "data" if checkout is not None else None
    if data is None or not (data / DATA_PARTS[0]).is_dir():
        raise ConfigError(
            "no training data: the default data/ folder exists only in a source checkout of qa-pipeline; "
            f"pass --data DIR, a folder holding {', '.join(p + '/' for p in DATA_PARTS)}"
        )
    return data


@click.command("train")
@click.option("--data", "data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None,
              help="Folder with dialogue_acts/, outcomes/ and asr_augmented/ "
                   "(default: data/ of the source checkout; an installed package has none).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None,
              help="Where to write <name>.joblib and <name>.json "
                   "(default: $QA_PIPELINE_MODELS, else the bundled models: the checkout's models/ folder).")
@click.option("--model", "names", multiple=True, help="Rebuild only this model (repeatable).")
def command(data_dir: Path | None, out_dir: Path | None, names: tuple[str, ...]) -> None:
    """Rebuild the classifier models reproducibly (fixed random_state) with held-out metrics."""
    from qa_pipeline.classifiers.build import SPECS, train_all
    from qa_pipeline.classifiers.model_io import default_model_dir

    data_dir = data_dir or default_data_dir()
    out_dir = out_dir or default_model_dir()
    cards = train_all(data_dir, out_dir, names or tuple(SPECS))
    for name, card in cards.items():
        evaluation = card["evaluation"]
        click.echo(f"{name}: {card['data']['examples']} examples, held-out macro F1 "
                   f"{evaluation['macro_f1']:.3f} ({evaluation['method']}) -> {out_dir / name}.joblib")
