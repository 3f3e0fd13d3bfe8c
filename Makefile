# Everyday commands. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help setup build test test-cpp test-python lint stub install example cluster-up cluster-down clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

setup:  ## Install system packages and the .venv with build/test tools (idempotent)
	@scripts/setup.sh

build: setup  ## Incremental developer build (core, Catch2 suite, extension module)
	@scripts/build.sh

test: setup  ## Build everything and run all tests (Catch2, pytest unit + integration)
	@scripts/test.sh

test-cpp: build  ## Run only the Catch2 suite
	@ctest --test-dir build/dev --output-on-failure

test-python: build  ## Run only the Python unit tests
	@PYTHONPATH=python .venv/bin/python -m pytest tests/python/unit -q

lint: build  ## Static gates: ruff, mypy --strict, stubtest, clang-format, clang-tidy, repo rules
	@scripts/lint.sh

stub: build  ## Regenerate python/kubeflow/trainer/_core.pyi from the built extension
	@scripts/stub.sh

install: setup  ## pip-install the package into .venv (a regular wheel build)
	@.venv/bin/python -m pip install -q --disable-pip-version-check .

example: install  ## The main job: train the example on the local backend (2 local nodes)
	@.venv/bin/python examples/local_quickstart.py

cluster-up: setup  ## Build (if needed) and start the test control plane; prints the kubeconfig path
	@.venv/bin/python -m tests.support.control_plane up

cluster-down:  ## Stop the control plane started by cluster-up
	@.venv/bin/python -m tests.support.control_plane down

clean:  ## Remove build outputs
	rm -rf build python/kubeflow/trainer/_core*.so
