"""A real install: build the wheel, install it with its extras into a fresh virtualenv, use it elsewhere.

The virtualenv gets the project only from the built wheel (package data included:
rubrics, models, templates, migrations, static files). To stay cheap, its
third-party dependencies are not downloaded again: one `.pth` line puts this test
environment's site-packages behind the venv's own, and pip resolves the `[asr,redact,web]`
extras against them ("already satisfied"). That line adds a path only: this
environment's `.pth` files (the editable install of the checkout among them) are
not run, so `import qa_pipeline` finds the wheel's copy. Every command runs from an
unrelated folder with PYTHONPATH unset.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.asr]

PACKAGE_FILES = ("pyproject.toml", "README.md", "qa_pipeline", "rubrics", "models")
BUNDLED = ("rubrics", "models")  # top-level in the checkout, package data in the wheel
CALL = "two_speakers.flac"  # 18 s, two channels: the agent introduces himself and says goodbye


def _copy_sources(root: Path, into: Path) -> Path:
    """The files a wheel is built from, copied so no build/ or egg-info lands in the checkout."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    into.mkdir(parents=True)
    for name in PACKAGE_FILES:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, into / name, ignore=ignore)
        else:
            shutil.copy2(source, into / name)
    return into


def _build_isolation_flags() -> list[str]:
    # An isolated build fetches setuptools; the one here is used when it is new enough.
    try:
        major = int(metadata.version("setuptools").split(".")[0])
    except metadata.PackageNotFoundError:
        return []
    return ["--no-build-isolation"] if major >= 68 else []


def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
                   check=True, capture_output=True, text=True)


@pytest.fixture(scope="module")
def installed(tmp_path_factory, root):
    """(venv bin folder, an unrelated work folder, the environment to run in)."""
    base = tmp_path_factory.mktemp("install")
    source = _copy_sources(root, base / "src")
    _pip("wheel", "--no-deps", *_build_isolation_flags(), "-w", str(base / "wheels"), str(source))
    (wheel,) = (base / "wheels").glob("qa_pipeline-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        (base / "wheel-files.txt").write_text("\n".join(archive.namelist()))
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    shared = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "zz_test_environment.pth").write_text("\n".join(sorted(shared)) + "\n")
    _pip("--python", str(python), "install", f"qa-pipeline[asr,redact,web] @ {wheel.as_uri()}")
    work = base / "elsewhere"
    work.mkdir()
    shutil.copy2(root / "tests" / "data" / "asr" / CALL, work / CALL)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "QA_PIPELINE_DB", "QA_PIPELINE_MODELS")}
    env["XDG_DATA_HOME"] = str(base / "user-data")
    return venv / "bin", work, env


def _wheel_files(installed) -> set[str]:
    return set((installed[0].parent.parent / "wheel-files.txt").read_text().split("\n"))


def test_the_wheel_carries_each_top_level_rubric_and_model_as_package_data(installed, root):
    files = _wheel_files(installed)
    for folder in BUNDLED:
        bundled = sorted(p.name for p in (root / folder).iterdir() if p.is_file())
        assert bundled, f"nothing in the checkout's {folder}/"
        assert {f"qa_pipeline/{folder}/{name}" for name in bundled} <= files
    assert not any(name.startswith(BUNDLED) for name in files), "a top-level folder outside the package"


def run(installed, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    bin_dir, work, env = installed
    program = args[0] if args[0] == "python" else "qa-pipeline"
    rest = args[1:] if program == "python" else args
    done = subprocess.run([str(bin_dir / program), *rest], cwd=work, env=env, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise AssertionError(f"{args} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


def test_the_package_is_imported_from_the_venv_not_the_checkout(installed, root):
    where = run(installed, "python", "-c", "import qa_pipeline; print(qa_pipeline.__file__)").stdout.strip()
    assert where.startswith(str(installed[0].parent)) and not where.startswith(str(root))


def test_the_installed_package_scores_a_real_call_from_another_folder(installed, root):
    where = run(installed, "python", "-c",
                "from qa_pipeline.rubric import BUNDLED_DIR; from qa_pipeline.classifiers.model_io import "
                "default_model_dir; import qa_pipeline; print(BUNDLED_DIR, default_model_dir(), qa_pipeline.__file__)")
    rubrics, models, package = (Path(p) for p in where.stdout.split())
    assert rubrics == package.parent / "rubrics" and models == package.parent / "models"
    assert (rubrics / "etiquette.yaml").read_bytes() == (root / "rubrics" / "etiquette.yaml").read_bytes()
    assert (models / "call_outcome.joblib").read_bytes() == (root / "models" / "call_outcome.joblib").read_bytes()
    run(installed, "score", CALL, "--out", "out", "--no-db")
    card = json.loads((installed[1] / "out" / "two_speakers.json").read_text())
    verdicts = {c["id"]: c["verdict"] for c in card["criteria"]}
    assert card["schema"] == "qa-pipeline.scorecard/1"
    assert (card["rubric"]["id"], card["rubric"]["version"], len(card["rubric"]["sha256"])) == ("etiquette", "2", 64)
    assert len(verdicts) == 7
    assert verdicts["self_introduction"] == "pass" and verdicts["said_goodbye"] == "pass"
    assert "daniel" in " ".join(u["text"] for u in card["transcript"]).lower()
    assert "<title>Scorecard two_speakers" in (installed[1] / "out" / "two_speakers.html").read_text()
    # The call-outcome model of the wheel read this call (its confidence is null only when no
    # model was found; the label itself is null under the threshold for showing it).
    assert card["outcome_confidence"] is not None


def test_the_default_store_of_an_installed_package_is_in_the_user_data_folder(installed):
    done = run(installed, "db", "init")
    store = Path(installed[2]["XDG_DATA_HOME"]) / "qa-pipeline" / "qa-pipeline.sqlite"
    from qa_pipeline.store import migrate

    assert store.is_file() and f"sqlite:///{store}" in done.stdout
    assert f"revision {migrate.head_revision()}" in done.stdout


def test_the_installed_review_app_serves_its_templates_and_static_files(installed):
    url = f"sqlite:///{installed[1] / 'review.sqlite'}"
    run(installed, "db", "init", "--db", url)
    script = (
        "import sys; from fastapi.testclient import TestClient; from qa_pipeline.web.app import create_app\n"
        "client = TestClient(create_app(sys.argv[1]))\n"
        "print(client.get('/login').status_code, client.get('/static/app.js').status_code,\n"
        "      'name=\"password\"' in client.get('/login').text)\n"
    )
    assert run(installed, "python", "-c", script, url).stdout.split() == ["200", "200", "True"]


def test_train_without_the_checkout_data_says_what_to_pass(installed):
    done = run(installed, "train", check=False)
    assert done.returncode == 1
    assert "exists only in a source checkout" in done.stderr and "--data DIR" in done.stderr


def test_a_rubric_and_a_model_folder_of_ones_own_are_taken_by_path(installed, root):
    work = installed[1]
    rubric = (root / "rubrics" / "etiquette.yaml").read_text()
    (work / "mine.yaml").write_text(rubric.replace("id: etiquette", "id: house_rules", 1))
    shutil.copytree(root / "models", work / "my-models")
    script = (
        "import os; from qa_pipeline.rubric import load_rubric\n"
        "from qa_pipeline.classifiers.predict import classify_texts\n"
        "from qa_pipeline.classifiers.model_io import default_model_dir\n"
        "print(load_rubric('mine.yaml').label, load_rubric('etiquette').label)\n"
        "print(default_model_dir().name, classify_texts(['May I have your name, please?'], 'dialogue_acts')[0].label)\n"
        "os.environ.pop('QA_PIPELINE_MODELS')\n"
        "print(default_model_dir().is_relative_to(os.path.dirname(__import__('qa_pipeline').__file__)))\n"
    )
    bin_dir, _, env = installed
    done = subprocess.run([str(bin_dir / "python"), "-c", script], cwd=work, capture_output=True, text=True,
                          env={**env, "QA_PIPELINE_MODELS": str(work / "my-models")})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["house_rules/2", "etiquette/2", "my-models", "name_request", "True"]
