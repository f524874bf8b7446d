# Entry points for a fresh machine (see README.md):
#   make demo   set up, score the bundled sample calls, and measure agreement
#   make test   set up and run the whole test suite (what CI runs, with make lint)
#   make check  the quick subset while working (see QUICK below)
#   make lint   ruff (lint and import order) and mypy (types, the seams in qa_pipeline/protocols.py)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= out/demo
# Debian packages the tests and the sample-call generator use.
APT_PACKAGES := espeak-ng sox libsox-fmt-all chromium postgresql ffmpeg festival festvox-ru libvo-amrwbenc0

.PHONY: setup system-deps demo test check lint bench train samples clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[all]'
	touch $@

# Installs only what is missing; needs root (as on CI) or sudo.
system-deps:
	@missing=""; \
	command -v espeak-ng >/dev/null || missing="$$missing espeak-ng"; \
	command -v sox >/dev/null || missing="$$missing sox libsox-fmt-all"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v ffmpeg >/dev/null || missing="$$missing ffmpeg"; \
	command -v text2wave >/dev/null || missing="$$missing festival"; \
	[ -d /usr/share/festival/voices/russian/msu_ru_nsh_clunits ] || missing="$$missing festvox-ru"; \
	ldconfig -p | grep -q libvo-amrwbenc.so.0 || missing="$$missing libvo-amrwbenc0"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

# evaluate reuses the transcripts that score made, so each call is transcribed once.
demo: setup
	$(BIN)/qa-pipeline score sample_audio --out $(OUT) --transcripts-cache $(OUT)/transcripts
	$(BIN)/qa-pipeline evaluate sample_audio --transcripts-cache $(OUT)/transcripts

test: setup system-deps
	$(BIN)/pytest -ra

# The quick subset: no real ASR, no whole-corpus runs, no browser, no PostgreSQL, and neither the
# classifier training tests (test_classifiers.py retrains the models: about 3 minutes alone) nor
# the Prefect flow tests (test_flows.py: 70 s of Prefect server start-up and flow runs).
# Measured 2026-12-06 on the 2-core build machine, idle (`/usr/bin/time` over the pytest command
# below): 1,747 tests, 91 s user + 7 s system CPU, 1 min 50 s of wall time.
QUICK_MARKERS := not slow and not asr and not browser and not postgres
QUICK_SKIP    := --ignore=tests/test_classifiers.py --ignore=tests/test_flows.py
check: setup
	$(BIN)/pytest -q -m "$(QUICK_MARKERS)" $(QUICK_SKIP)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: setup
	$(BIN)/python bench/pipeline.py --models tiny.en,base
	$(BIN)/python bench/batched.py
	$(BIN)/python bench/flow_overhead.py

train: setup
	$(BIN)/qa-pipeline train

# Re-renders sample_audio/ from scripts/calls/, and the Japanese and Russian calls into
# sample_audio_ja/ and sample_audio_ru/ (minutes of CPU each).
samples: setup system-deps
	$(BIN)/python scripts/make_sample_calls.py
	$(BIN)/python scripts/make_sample_calls.py --scripts scripts/calls/ja --out sample_audio_ja
	$(BIN)/python scripts/make_sample_calls.py --scripts scripts/calls/ru --out sample_audio_ru

clean:
	rm -rf $(VENV) out .pytest_cache
