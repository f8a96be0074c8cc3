# The image every step of the Kubeflow Pipelines v2 / Vertex AI pipeline runs in
# (`colordisc compile --target kubeflow-v2 --image REGISTRY/colordisc:TAG`). Built from the lock,
# exactly as `make` installs it (pip --no-deps: see README "Install recipe"). Not built in CI.
#   docker build -t REGISTRY/colordisc:TAG . && docker push REGISTRY/colordisc:TAG
# GPUs: the JAX wheels below are CPU ones; for data-parallel training on GPUs install jax[cuda12]
# at the same version instead (TensorFlow 2.21 finds CUDA through its own pip packages likewise).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /colordisc

COPY requirements.lock requirements-kubeflow.txt requirements-extras.txt ./
RUN pip install --upgrade pip==26.2.1 setuptools==80.9.0 \
 && pip install --no-deps -r requirements.lock -r requirements-kubeflow.txt \
 && grep -E '^(jax|jaxlib)==' requirements-extras.txt > jax.txt \
 && pip install --no-deps -r jax.txt

# Steps import components.* and pipelines.* (the executor class paths in the spec), so the package
# is installed, not only copied.
COPY setup.py pyproject.toml ./
COPY colordisc_tf colordisc_tf
COPY components components
COPY pipelines pipelines
RUN pip install --no-deps --no-build-isolation . && python -c "import components, pipelines, kfp.pipeline_spec"

# Kubeflow/Vertex give each step its command (python -m tfx...kubeflow_v2_run_executor); this is
# for running the CLI in the image by hand.
ENTRYPOINT ["colordisc"]
