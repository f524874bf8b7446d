"""`qa-pipeline train`: rebuild the classifier models and their cards."""

from __future__ import annotations

from pathlib import Path

import click

_ROOT = Path(__file__).resolve().parents[2]


@click.command("train")
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path),
              default=_ROOT / "data",
              help="Folder with dialogue_acts/, outcomes/ and asr_augmented/ (default: the project's data/).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None,
              help="Where to write <name>.joblib and <name>.json (default: $QA_PIPELINE_MODELS or models/).")
@click.option("--model", "names", multiple=True, help="Rebuild only this model (repeatable).")
def command(data_dir: Path, out_dir: Path | None, names: tuple[str, ...]) -> None:
    """Rebuild the classifier models reproducibly (fixed random_state) with held-out metrics."""
    from qa_pipeline.classifiers.build import SPECS, train_all
    from qa_pipeline.classifiers.model_io import default_model_dir

    out_dir = out_dir or default_model_dir()
    cards = train_all(data_dir, out_dir, names or tuple(SPECS))
    for name, card in cards.items():
        evaluation = card["evaluation"]
        click.echo(f"{name}: {card['data']['examples']} examples, held-out macro F1 "
                   f"{evaluation['macro_f1']:.3f} ({evaluation['method']}) -> {out_dir / name}.joblib")
