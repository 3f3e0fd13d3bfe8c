#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang + ASan/UBSan, into build/fuzz) and runs each for
# a bounded time from its seed corpus in tests/fuzz/corpus/<target>/. Prints one line per target
# ("fuzz: <target> ok: N executions in S s") and exits non-zero if any target crashed, leaked,
# hung (-timeout) or ran out of memory; the reproducer is then in build/fuzz/findings/<target>/.
#   scripts/fuzz.sh [SECONDS] [TARGET...]   default: 30 s each, every target
#   FUZZ_JOBS=2 runs two targets at a time (one core each).
# New inputs libFuzzer finds go to build/fuzz/corpus/<target>/ (kept between runs), never into the
# committed seeds.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build_dir=build/fuzz
seconds=${1:-30}
shift $(($# > 0 ? 1 : 0))
jobs=${FUZZ_JOBS:-1}

if [[ ! -f $build_dir/build.ninja ]]; then
  CC=clang-14 CXX=clang++-14 cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DKUBEFLOW_SANITIZE=address,undefined -DKUBEFLOW_FUZZ=ON -DKUBEFLOW_WERROR=ON \
    -DKUBEFLOW_BUILD_TESTS=OFF -DKUBEFLOW_BUILD_BINDINGS=OFF >/dev/null || exit 1
fi
cmake --build "$build_dir" -j "$(nproc)" || exit 1

targets=("$@")
if ((${#targets[@]} == 0)); then
  for f in tests/fuzz/fuzz_*.cpp; do
    t=${f#tests/fuzz/fuzz_}
    targets+=("${t%.cpp}")
  done
fi

run_one() {  # run_one TARGET: one bounded run; its output goes to build/fuzz/logs/TARGET.log
  local t=$1 log="$build_dir/logs/$1.log" dict=()
  mkdir -p "$build_dir/corpus/$t" "$build_dir/findings/$t" "$build_dir/logs"
  [[ -f tests/fuzz/$t.dict ]] && dict=("-dict=tests/fuzz/$t.dict")
  # Every report aborts; a UBSan finding too. Leaks count as findings.
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
    "$build_dir/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$build_dir/findings/$t/" "${dict[@]}" \
    "$build_dir/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1
  local rc=$? runs
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  if ((rc == 0)); then
    echo "fuzz: $t ok: ${runs:-?} executions in $seconds s"
  else
    grep -E "^(==[0-9]+==ERROR|SUMMARY|.*runtime error)" "$log" | head -n 5
    echo "fuzz: $t FAILED (exit $rc after ${runs:-?} executions; log $log, reproducer in $build_dir/findings/$t/)"
  fi
  return $rc
}

failed=0
pids=()
for t in "${targets[@]}"; do
  if [[ ! -d tests/fuzz/corpus/$t ]]; then
    echo "fuzz: $t FAILED: no seed corpus tests/fuzz/corpus/$t/"
    failed=1
    continue
  fi
  run_one "$t" &
  pids+=($!)
  if ((${#pids[@]} >= jobs)); then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
  fi
done
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
exit $failed
