#!/usr/bin/env bash
# README's test command: builds, runs the static gates, the Catch2 suite and the pytest suites on
# the fast tier (a real kube-apiserver + etcd on loopback), the same under ASan+UBSan and TSan and
# a bounded run of each fuzz target (docs/testing.md), then the container tier (TrainJobs as
# podman containers: tests/python/container) and the end-to-end tier (a full cluster where
# TrainJobs really run: tests/python/e2e), last the wheel tier (a wheel per CPython: auditwheel,
# twine, a clean Debian machine, OpenSSL next to ssl/cryptography/grpcio/torch: tests/python/wheel).
# Everything is built once from Go modules and Debian packages and cached under ~/.cache; every
# cluster started here is stopped here.
# The container, end-to-end and wheel tiers need root on Linux: without it a person's run skips
# them and says so, CI fails.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
status=0
logs="$PWD/build/logs"
mkdir -p "$logs"

# KUBEFLOW_TEST_E2E=0 skips the end-to-end tier while iterating on something else; CI never skips.
e2e=0
if [[ -n ${CI:-} && ${KUBEFLOW_TEST_E2E:-} == 0 ]]; then
  echo "end-to-end tier: CI must run it (unset KUBEFLOW_TEST_E2E)" >&2
  status=1
elif [[ ${KUBEFLOW_TEST_E2E:-} == 0 ]]; then
  echo "end-to-end tier: SKIPPED (KUBEFLOW_TEST_E2E=0)"
elif [[ $(uname -s) == Linux && $(id -u) -eq 0 ]]; then
  e2e=1
elif [[ -n ${CI:-} ]]; then
  echo "end-to-end tier: needs root on Linux, and CI must run it" >&2
  status=1
else
  echo "end-to-end tier: SKIPPED (needs root on Linux; as root: make test-e2e)"
fi

# The container tier (tests/python/container): TrainJobs as podman containers on an engine of
# its own. KUBEFLOW_TEST_CONTAINER=0 skips it while iterating; CI never skips. Root, like e2e.
container=0
if [[ -n ${CI:-} && ${KUBEFLOW_TEST_CONTAINER:-} == 0 ]]; then
  echo "container tier: CI must run it (unset KUBEFLOW_TEST_CONTAINER)" >&2
  status=1
elif [[ ${KUBEFLOW_TEST_CONTAINER:-} == 0 ]]; then
  echo "container tier: SKIPPED (KUBEFLOW_TEST_CONTAINER=0)"
elif [[ $(uname -s) == Linux && $(id -u) -eq 0 ]]; then
  container=1
elif [[ -n ${CI:-} ]]; then
  echo "container tier: needs root on Linux, and CI must run it" >&2
  status=1
else
  echo "container tier: SKIPPED (needs root on Linux)"
fi

# The wheel tier (tests/python/wheel): scripts/wheel.sh's wheel in a clean Debian image on a
# podman engine of its own, and next to other TLS stacks. KUBEFLOW_TEST_WHEEL=0 skips it while
# iterating; CI never skips. Root, like the container tier (podman, mmdebstrap --mode=root).
wheel=0
if [[ -n ${CI:-} && ${KUBEFLOW_TEST_WHEEL:-} == 0 ]]; then
  echo "wheel tier: CI must run it (unset KUBEFLOW_TEST_WHEEL)" >&2
  status=1
elif [[ ${KUBEFLOW_TEST_WHEEL:-} == 0 ]]; then
  echo "wheel tier: SKIPPED (KUBEFLOW_TEST_WHEEL=0)"
elif [[ $(uname -s) == Linux && $(id -u) -eq 0 ]]; then
  wheel=1
elif [[ -n ${CI:-} ]]; then
  echo "wheel tier: needs root on Linux, and CI must run it" >&2
  status=1
else
  echo "wheel tier: SKIPPED (needs root on Linux; as root: make test-wheel)"
fi

# KUBEFLOW_TEST_FRAMEWORKS=0 skips the frameworks tier (real torch, JAX and XGBoost on the local
# backend: tests/python/frameworks) while iterating; CI never skips.
frameworks=1
if [[ -n ${CI:-} && ${KUBEFLOW_TEST_FRAMEWORKS:-} == 0 ]]; then
  echo "frameworks tier: CI must run it (unset KUBEFLOW_TEST_FRAMEWORKS)" >&2
  status=1
  frameworks=0
elif [[ ${KUBEFLOW_TEST_FRAMEWORKS:-} == 0 ]]; then
  echo "frameworks tier: SKIPPED (KUBEFLOW_TEST_FRAMEWORKS=0)"
  frameworks=0
fi

images_pid=
stack_pid=
frameworks_pid=
if ((e2e || container)); then
  scripts/setup-node.sh || exit 1
  # The images are mostly downloads and unpacking: built in the background from the start, they
  # overlap the C++ build instead of adding to it (tools/cluster/images/build.sh; cached).
  tools/cluster/images/build.sh >"$logs/images.log" 2>&1 &
  images_pid=$!
fi

clean_image_pid=
if ((wheel)); then
  ((e2e || container)) || scripts/setup-node.sh || exit 1
  # The clean machine's image (Debian's python3 only) is downloads too: built in the background,
  # cached (tools/cluster/images/clean-machine.sh); the wheel tier's fixture finds it ready.
  tools/cluster/images/clean-machine.sh >"$logs/clean-image.log" 2>&1 &
  clean_image_pid=$!
fi

cluster_dir="$PWD/build/cluster-ci"
control_plane=(.venv/bin/python -m tests.support.control_plane --state-dir "$cluster_dir")
cleanup() {
  "${control_plane[@]}" down || true
  local pid
  for pid in $images_pid $stack_pid $frameworks_pid $clean_image_pid $wheel_pid; do
    if kill -0 "$pid" 2>/dev/null; then
      pkill -TERM -P "$pid" 2>/dev/null
      kill -TERM "$pid" 2>/dev/null
    fi
  done
}
if ((frameworks)); then
  # The frameworks' environment is downloads and unpacking (GBs cold, nothing warm): built in
  # the background it overlaps the build (scripts/frameworks-env.sh; cached, keyed by
  # requirements-frameworks.txt).
  scripts/frameworks-env.sh >"$logs/frameworks-env.log" 2>&1 &
  frameworks_pid=$!
fi
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

scripts/build.sh || exit 1

echo "== static gates (scripts/lint.sh)"
scripts/lint.sh || status=1

echo "== control plane"
"${control_plane[@]}" down >/dev/null 2>&1  # a leftover from an interrupted run
if kubeconfig="$("${control_plane[@]}" up | tail -n 1)" && [[ -f $kubeconfig ]]; then
  export KUBEFLOW_TEST_STATE_DIR="$cluster_dir"
  export KUBEFLOW_TEST_KUBECONFIG="$kubeconfig"
  echo "control plane up: KUBEFLOW_TEST_KUBECONFIG=$kubeconfig"
else
  # The tests still run: Catch2's integration cases skip, pytest's fixture tries on its own.
  echo "control plane: FAILED to start" >&2
  status=1
fi

if ((e2e)); then
  # The rest of the stack compiles while the fast tier's tests, which mostly wait on the API
  # server, leave the CPUs idle (tools/cluster/build.sh; cached, so instant on warm runs).
  tools/cluster/build.sh >"$logs/stack.log" 2>&1 &
  stack_pid=$!
fi

echo "== Catch2 (ctest)"
ctest --test-dir build/dev --output-on-failure -j "$(nproc)" || status=1

echo "== pytest (unit + integration; the example notebooks run in test_notebook_*.py)"
# Exit 5 (no test collected) is a failure too.
PYTHONPATH=python .venv/bin/python -m pytest tests/python -q --ignore=tests/python/e2e \
  --ignore=tests/python/container --ignore=tests/python/frameworks --ignore=tests/python/wheel || status=1

echo "== docs (scripts/docs.sh: Sphinx, warnings are errors)"
scripts/docs.sh || { echo "docs: FAILED (the warnings above are errors)" >&2; status=1; }

# ASan+UBSan: Catch2 + the pytest fast tier on the ASan-built extension; TSan: Catch2 (HTTP,
# watch, streams, concurrency). Each builds its own dir (build/asan, build/tsan) and uses the
# control plane above. KUBEFLOW_TEST_SANITIZE=0 skips them while iterating; CI never skips.
if [[ -n ${CI:-} && ${KUBEFLOW_TEST_SANITIZE:-} == 0 ]]; then
  echo "sanitizers: CI must run them (unset KUBEFLOW_TEST_SANITIZE)" >&2
  status=1
elif [[ ${KUBEFLOW_TEST_SANITIZE:-} == 0 ]]; then
  echo "sanitizers and fuzzing: SKIPPED (KUBEFLOW_TEST_SANITIZE=0)"
else
  echo "== sanitizers: ASan+UBSan, TSan (scripts/sanitize.sh)"
  scripts/sanitize.sh asan || status=1
  scripts/sanitize.sh tsan || status=1
fi
"${control_plane[@]}" down >/dev/null 2>&1  # its memory is the full cluster's now

if ((frameworks)); then
  echo "== frameworks tier: torch, JAX, XGBoost on the local backend (tests/python/frameworks)"
  if wait "$frameworks_pid" && fw_python="$(tail -n 1 "$logs/frameworks-env.log")" &&
    [[ -x $fw_python ]]; then
    grep -E "installed in" "$logs/frameworks-env.log"
    KUBEFLOW_TEST_FRAMEWORKS=1 PYTHONPATH=python "$fw_python" -m pytest tests/python/frameworks \
      -q --durations=0 || status=1
  else
    echo "frameworks env: scripts/frameworks-env.sh FAILED; its log ($logs/frameworks-env.log) ends with:" >&2
    tail -n 30 "$logs/frameworks-env.log" >&2
    status=1
  fi
  frameworks_pid=
fi

if [[ ${KUBEFLOW_TEST_SANITIZE:-} != 0 ]]; then
  echo "== fuzzing: a bounded run of each libFuzzer target (scripts/fuzz.sh)"
  FUZZ_JOBS=$(nproc) scripts/fuzz.sh "${KUBEFLOW_FUZZ_SECONDS:-30}" || status=1
fi

wheel_pid=
if ((wheel)); then
  # The wheels' Release builds (one per CPython, trees of their own, static lean deps) are CPU
  # work; the container and end-to-end tiers mostly wait on containers, so they run beside them
  # (scripts/wheel.sh; ccache shares the core's objects between the versions).
  scripts/wheel.sh >"$logs/wheel.log" 2>&1 &
  wheel_pid=$!
fi

images_ok=1
if ((e2e || container)); then
  t0=$SECONDS
  if ! wait "$images_pid"; then
    echo "images: the build FAILED; its log ($logs/images.log) ends with:" >&2
    tail -n 30 "$logs/images.log" >&2
    status=1
    images_ok=0
  fi
  images_pid=
  echo "images ready ($((SECONDS - t0)) s waited)"
fi

if ((container)); then
  echo "== container tier (podman engine of its own)"
  t0=$SECONDS
  if ((images_ok)); then
    KUBEFLOW_TEST_CONTAINER=1 PYTHONPATH=python .venv/bin/python -m pytest tests/python/container \
      -q --timeout=1800 --durations=0 || status=1
  else
    status=1
  fi
  echo "container tier: $((SECONDS - t0)) s"
fi

if ((e2e)); then
  echo "== end-to-end (full cluster)"
  t0=$SECONDS
  stack_ok=1
  wait "$stack_pid" || stack_ok=0
  stack_pid=
  grep -E "built in" "$logs/stack.log"
  if ((stack_ok)); then
    echo "stack ready ($((SECONDS - t0)) s since the e2e stage began)"
    KUBEFLOW_TEST_E2E=1 PYTHONPATH=python .venv/bin/python -m pytest tests/python/e2e -q \
      --timeout=1800 --durations=0 || status=1
  else
    echo "stack: tools/cluster/build.sh FAILED; its log ($logs/stack.log) ends with:" >&2
    tail -n 30 "$logs/stack.log" >&2
    status=1
  fi
fi
if ((wheel)); then
  echo "== wheel: a wheel per CPython, auditwheel, twine, clean machine, OpenSSL coexistence"
  t0=$SECONDS
  if ! wait "$clean_image_pid"; then
    echo "clean-machine image: the build FAILED; its log ($logs/clean-image.log) ends with:" >&2
    tail -n 30 "$logs/clean-image.log" >&2
  fi
  clean_image_pid=
  wheel_waited=$SECONDS
  if wait "$wheel_pid" && wheelhouse="$(tail -n 1 "$logs/wheel.log")" &&
    [[ -f $wheelhouse/wheels.tsv ]]; then
    wheel_pid=
    echo "wheels built ($((SECONDS - wheel_waited)) s waited for their build):"
    grep -E "^wheel: " "$logs/wheel.log"
    KUBEFLOW_TEST_WHEEL=1 KUBEFLOW_TEST_WHEELHOUSE="$wheelhouse" PYTHONPATH=python \
      .venv/bin/python -m pytest tests/python/wheel -q --timeout=1800 --durations=0 || status=1
  else
    echo "wheel: scripts/wheel.sh FAILED; its log ($logs/wheel.log) ends with:" >&2
    tail -n 30 "$logs/wheel.log" >&2
    status=1
  fi
  echo "wheel tier: $((SECONDS - t0)) s"
fi
exit $status
