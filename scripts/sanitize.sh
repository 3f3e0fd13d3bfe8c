#!/usr/bin/env bash
# Sanitizer runs (make sanitize; also stages of scripts/test.sh). Each has a build dir of its own
# (gcc, -O1, every report fatal; cmake/sanitizers.cmake):
#   asan  build/asan: AddressSanitizer + UndefinedBehaviorSanitizer. The whole Catch2 suite, then
#         the pytest fast tier (tests/python minus e2e, container, frameworks and wheel) against the
#         ASan-built extension.
#   tsan  build/tsan: ThreadSanitizer. The whole Catch2 suite: its HTTP, watch, log-follow and
#         concurrency cases (tests/cpp/integration/concurrency_test.cpp) are the point.
#   scripts/sanitize.sh asan|tsan [pytest args...]
# The integration cases use the control plane named by KUBEFLOW_TEST_KUBECONFIG (scripts/test.sh
# starts one); without it they skip, as in the plain build. Prints "sanitize: <kind> ..." summary
# lines and exits non-zero on any finding or test failure.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
kind=${1:-}
shift $(($# > 0 ? 1 : 0))
case $kind in
  asan) sanitize=address,undefined bindings=ON ;;
  tsan) sanitize=thread bindings=OFF ;;
  *)
    echo "usage: scripts/sanitize.sh asan|tsan [pytest args...]" >&2
    exit 2
    ;;
esac
build_dir=build/$kind
py="$PWD/.venv/bin/python"

t0=$SECONDS
if [[ ! -f $build_dir/build.ninja ]]; then
  CC=gcc CXX=g++ cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DKUBEFLOW_SANITIZE="$sanitize" -DKUBEFLOW_WERROR=ON -DKUBEFLOW_BUILD_BINDINGS="$bindings" \
    -DPython_EXECUTABLE="$py" -Dpybind11_DIR="$("$py" -m pybind11 --cmakedir)" >/dev/null ||
    exit 1
fi
cmake --build "$build_dir" -j "$(nproc)" || exit 1
echo "sanitize: $kind build ready ($((SECONDS - t0)) s)"

# Every finding aborts the process (the code is also built with -fno-sanitize-recover).
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
status=0

t0=$SECONDS
# ThreadSanitizer (gcc 12) maps its shadow memory at fixed addresses that a kernel with a high
# mmap randomization can collide with; `setarch -R` turns address randomization off for this
# process tree only.
runner=()
[[ $kind == tsan ]] && runner=(setarch "$(uname -m)" -R)
if "${runner[@]}" ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)" \
  >"$build_dir/ctest.log" 2>&1; then
  echo "sanitize: $kind Catch2: $(grep -E 'tests passed' "$build_dir/ctest.log") ($((SECONDS - t0)) s)"
else
  tail -n 80 "$build_dir/ctest.log"
  echo "sanitize: $kind Catch2 FAILED ($((SECONDS - t0)) s; log $build_dir/ctest.log)"
  status=1
fi

if [[ $kind == asan ]]; then
  # The package as it is in python/, with the ASan-built _core in place of the developer one.
  pkg="$build_dir/python"
  rm -rf "$pkg"
  cp -rs "$PWD/python" "$pkg"
  find "$pkg" -name '_core*.so' -delete
  cp "$build_dir"/ext/_core*.so "$pkg/kubeflow/trainer/"
  # python itself is not instrumented, so the ASan runtime must be loaded first (LD_PRELOAD; the
  # extension links libubsan itself), with libstdc++ beside it: python does not link libstdc++,
  # and ASan's __cxa_throw interceptor aborts when it is not there at start-up. detect_leaks=0: CPython does not free everything at exit,
  # and those are not our leaks; the Catch2 run above checks ours.
  t0=$SECONDS
  if LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libstdc++.so)" ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
    BUILD_DIR="$build_dir" PYTHONPATH="$pkg" "$py" -m pytest tests/python -q -p no:cacheprovider \
    --ignore=tests/python/e2e --ignore=tests/python/container --ignore=tests/python/frameworks \
    --ignore=tests/python/wheel "$@" >"$build_dir/pytest.log" 2>&1; then
    echo "sanitize: asan pytest: $(tail -n 1 "$build_dir/pytest.log") ($((SECONDS - t0)) s)"
  else
    tail -n 80 "$build_dir/pytest.log"
    echo "sanitize: asan pytest FAILED ($((SECONDS - t0)) s; log $build_dir/pytest.log)"
    status=1
  fi
fi
exit $status
