"""Pseudonyms for file names and call ids that hold a phone number or other PII (issue 23)."""

from __future__ import annotations

import pytest


@pytest.fixture
def settings(tmp_path):
    from qa_pipeline.redaction import load_settings

    key = tmp_path / "site.key"
    key.write_text("a-site-key-of-enough-bytes-0123456789\n")
    site = tmp_path / "redaction.yaml"
    site.write_text(f"pseudonyms: {{key_file: {key}, mapping_file: {tmp_path / 'names.tsv'}}}\n")
    return load_settings(site)


def test_a_phone_number_in_a_name_becomes_a_stable_keyed_pseudonym(settings, tmp_path):
    from qa_pipeline.redaction import load_settings
    from qa_pipeline.redaction.filenames import public_call_id, public_stem

    stem = "07700900123_20261120_103000"
    public = public_stem(stem, settings)
    assert "07700900123" not in public and "0770" not in public
    assert public.endswith("_20261120_103000")  # the recorder's date and time stay
    assert public_stem(stem, settings) == public == public_call_id(stem, settings)
    assert public_stem("+44 7700 900123", settings) != public_stem("+44 7700 900124", settings)
    # Another site key gives other pseudonyms: the hash is keyed, not a bare digest of the number.
    other_key = tmp_path / "other.key"
    other_key.write_text("another-site-key-0123456789abcdef\n")
    site = tmp_path / "other.yaml"
    site.write_text(f"pseudonyms: {{key_file: {other_key}}}\n")
    assert public_stem(stem, load_settings(site)) != public


@pytest.mark.parametrize("stem", ["call-555-212-4432", "4539148803436467", "john.smith@gmail.com",
                                  "rec_+14155550123", "john_dot_smith_at_gmail_dot_com"])
def test_pii_of_every_kind_leaves_the_name(settings, stem):
    from qa_pipeline.redaction.filenames import public_stem

    public = public_stem(stem, settings)
    assert public != stem
    for secret in ("5552124432", "212-4432", "4539", "john", "smith", "gmail", "4155550123"):
        assert secret not in public.replace("-", "") and secret not in public


@pytest.mark.parametrize("stem", ["C03", "R01", "call_2026-11-20_1030", "agent7_queue12", "20261120T103000"])
def test_names_without_pii_are_kept(settings, stem):
    from qa_pipeline.redaction.filenames import public_stem

    assert public_stem(stem, settings) == stem


def test_the_mapping_is_written_only_where_the_site_says(settings, tmp_path):
    from qa_pipeline.redaction import load_settings
    from qa_pipeline.redaction.filenames import public_path, public_stem

    public = public_stem("07700900123", settings)
    public_stem("07700900123", settings)
    lines = (tmp_path / "names.tsv").read_text().splitlines()
    assert lines == [f"{public}\t07700900123"]
    assert (tmp_path / "names.tsv").stat().st_mode & 0o077 == 0
    assert public_path("in/07700900123.wav", settings) == f"in/{public}.wav"

    key = tmp_path / "site.key"
    site = tmp_path / "nomap.yaml"
    site.write_text(f"pseudonyms: {{key_file: {key}}}\n")
    before = sorted(p.name for p in tmp_path.iterdir())
    public_stem("07700900999", load_settings(site))
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_without_a_configured_key_one_is_made_once_per_user(tmp_path, monkeypatch):
    from qa_pipeline.redaction import load_settings
    from qa_pipeline.redaction.filenames import public_stem

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("QA_PIPELINE_PSEUDONYM_KEY_FILE", raising=False)
    first = public_stem("07700900123", load_settings())
    key = tmp_path / "config" / "qa-pipeline" / "pseudonym.key"
    assert key.is_file() and key.stat().st_mode & 0o077 == 0
    assert public_stem("07700900123", load_settings()) == first


def test_a_short_key_is_a_clear_error(tmp_path):
    from qa_pipeline.errors import ConfigError
    from qa_pipeline.redaction import load_settings
    from qa_pipeline.redaction.filenames import public_stem

    (tmp_path / "k").write_text("short")
    site = tmp_path / "s.yaml"
    site.write_text(f"pseudonyms: {{key_file: {tmp_path / 'k'}}}\n")
    with pytest.raises(ConfigError, match="at least 16 bytes"):
        public_stem("07700900123", load_settings(site))
