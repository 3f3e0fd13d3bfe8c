# Everyday commands. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help setup build test test-cpp test-python test-frameworks test-e2e test-container test-wheel wheel sanitize fuzz lint stub docs screenshot bench install example cluster-up cluster-down clean

# CLUSTER=full: the full cluster (a node, scheduler, controllers, JobSet, Trainer; needs root).
CLUSTER ?= control-plane
cluster_module = $(if $(filter full,$(CLUSTER)),tests.support.full_cluster,tests.support.control_plane)

help:  ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

setup:  ## Install system packages and the .venv with build/test tools (idempotent)
	@scripts/setup.sh

build: setup  ## Incremental developer build (core, Catch2 suite, extension module)
	@scripts/build.sh

test: setup  ## Build everything and run all tests (Catch2, pytest unit + integration)
	@scripts/test.sh

test-frameworks: build  ## Real torch, JAX and XGBoost collectives on the local backend (cached env)
	@fw_python="$$(scripts/frameworks-env.sh | tail -n 1)" && KUBEFLOW_TEST_FRAMEWORKS=1 \
	  PYTHONPATH=python "$$fw_python" -m pytest tests/python/frameworks -q --durations=0

test-e2e: setup  ## End-to-end tests: TrainJobs really run on a full cluster (root; slow cold)
	@scripts/test-e2e.sh

test-container: build  ## Container-backend tests on a podman engine of their own (root)
	@KUBEFLOW_TEST_CONTAINER=1 PYTHONPATH=python .venv/bin/python -m pytest tests/python/container \
	  -v --timeout=1800 --durations=0

test-wheel: setup  ## The wheel tier: build the wheels, auditwheel, twine, clean machine, OpenSSL (root)
	@wheelhouse="$$(scripts/wheel.sh | tail -n 1)" && KUBEFLOW_TEST_WHEEL=1 \
	  KUBEFLOW_TEST_WHEELHOUSE="$$wheelhouse" PYTHONPATH=python .venv/bin/python -m pytest \
	  tests/python/wheel -v --timeout=1800 --durations=0

test-cpp: build  ## Run only the Catch2 suite
	@ctest --test-dir build/dev --output-on-failure

test-python: build  ## Run only the Python unit tests
	@PYTHONPATH=python .venv/bin/python -m pytest tests/python/unit -q

sanitize: setup  ## ASan+UBSan (Catch2, pytest fast tier) and TSan (Catch2) builds and runs
	@scripts/sanitize.sh asan; asan=$$?; scripts/sanitize.sh tsan && exit $$asan

fuzz: setup  ## Each libFuzzer target (tests/fuzz) for FUZZ_SECONDS (default 60)
	@FUZZ_JOBS=$$(nproc) scripts/fuzz.sh $(or $(FUZZ_SECONDS),60)

lint: build  ## Static gates: ruff, mypy --strict, stubtest, clang-format, clang-tidy, repo rules
	@scripts/lint.sh

stub: build  ## Regenerate python/kubeflow/trainer/_core.pyi from the built extension
	@scripts/stub.sh

docs: build  ## The HTML docs: user guide, pages, API reference (Sphinx, warnings are errors) in build/docs
	@scripts/docs.sh

screenshot: build  ## Regenerate docs/notebook.png: the executed local notebook in headless Chromium
	@.venv/bin/python tools/docs/notebook_screenshot.py

bench: setup  ## Benchmarks: ours, upstream 0.5.0 and the floor; rewrites docs/benchmarks.md (not in test)
	@bench/run.sh

wheel: setup  ## Self-contained manylinux wheels (CPython 3.10-3.13) into build/wheelhouse/ (docs/releasing.md)
	@scripts/wheel.sh

install: setup  ## pip-install the package into .venv (a regular wheel build)
	@.venv/bin/python -m pip install -q --disable-pip-version-check .

example: install  ## The main job: train the example on the local backend (2 local nodes)
	@.venv/bin/python examples/local_quickstart.py

cluster-up: setup  ## Start the test control plane (CLUSTER=full: a full cluster); prints the kubeconfig path
	@$(if $(filter full,$(CLUSTER)),scripts/setup-node.sh &&) .venv/bin/python -m $(cluster_module) up

cluster-down:  ## Stop what cluster-up started (same CLUSTER=)
	@.venv/bin/python -m $(cluster_module) down

clean:  ## Remove build outputs
	rm -rf build python/kubeflow/trainer/_core*.so
