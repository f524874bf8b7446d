import os
from pathlib import Path

import pytest

# The tests write recordings moments before they score them; a real inbox waits for files to
# settle (`growing.default_settle_s`, 10 s). The settle check's own tests set it explicitly.
os.environ.setdefault("QA_PIPELINE_SETTLE_S", "0")
# The shipped default model is Whisper base; the suite's pipeline mechanics (batches, formats,
# flows, the web app's corpus) run on tiny.en, which is about twice as fast, to keep CI within
# its time. The tests of the default itself and the real field calls clear this
# (`shipped_default_model`), so they run what a user gets.
os.environ.setdefault("QA_PIPELINE_MODEL", "tiny.en")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def shipped_default_model():
    """The module runs with no `$QA_PIPELINE_MODEL`: the model a user gets without naming one."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("QA_PIPELINE_MODEL", raising=False)
        yield


@pytest.fixture
def shipped_default(monkeypatch):
    """This test runs with no `$QA_PIPELINE_MODEL`: the model a user gets without naming one."""
    monkeypatch.delenv("QA_PIPELINE_MODEL", raising=False)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def sample_audio_dir() -> Path:
    return ROOT / "sample_audio"


# --- the review-app corpus and store, shared by test_web_app and test_web_hardening ----------


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """(folder, call id -> scorecard JSON path): the espeak-ng calls of `_web_helpers`, built once per module."""
    from _web_helpers import write_corpus

    folder = tmp_path_factory.mktemp("calls")
    return folder, write_corpus(folder)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, corpus):
    """A seeded store file and its call id -> scorecard id, built once; each test works on its own copy."""
    from _web_helpers import seed_store

    path = tmp_path_factory.mktemp("seed") / "store.sqlite"
    return path, seed_store(f"sqlite:///{path}", corpus[1])


@pytest.fixture
def site(tmp_path, corpus, seeded):
    """(app, call id -> scorecard id, store URL): the review app over a fresh copy of the seeded store."""
    import shutil

    from qa_pipeline.web.app import create_app

    template, ids = seeded
    copy = tmp_path / "store.sqlite"
    shutil.copyfile(template, copy)
    url = f"sqlite:///{copy}"
    app = create_app(url, audio_root=corpus[0] / "recordings")
    yield app, ids, url
    app.state.store.close()


# --- headless Chromium, for the browser tests (test_web_browser, test_web_review_browser) ------


@pytest.fixture(scope="module")
def browser(served):
    """Chromium, started after the module's `served` review app."""
    from playwright.sync_api import sync_playwright

    from _web_helpers import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()
