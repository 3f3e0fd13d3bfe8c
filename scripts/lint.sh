#!/usr/bin/env bash
# Static gates (make lint; also run by make test): ruff lint + format check, mypy --strict on the
# package, stubtest of the _core stub against the built extension, clang-format check,
# clang-tidy on core/ and bindings/, and the repository rules in tools/lint/repo_rules.py.
# Prints one line per gate and exits non-zero if any gate fails.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build_dir="${BUILD_DIR:-build/dev}"
py=.venv/bin/python
python_dirs=(python tests bench examples tools/lint tools/cluster tools/docs docs/conf.py)
failed=()

gate() {  # gate NAME CMD...: runs CMD, prints its output only when it fails
  local name=$1 out rc
  shift
  out="$("$@" 2>&1)"
  rc=$?
  if ((rc == 0)); then
    echo "lint: $name ok"
  else
    printf '%s\n' "$out" | tail -n 400
    echo "lint: $name FAILED"
    failed+=("$name")
  fi
}

cxx_sources() { git ls-files 'core/*.cpp' 'core/*.hpp' 'bindings/*.cpp' 'bindings/*.hpp' 'tests/cpp/*.cpp' 'tests/cpp/*.hpp' 'tests/fuzz/*.cpp' 'tests/fuzz/*.hpp' 'tests/python/ext/*.cpp'; }
tidy_sources() { git ls-files 'core/*.cpp' 'bindings/*.cpp'; }

gate "ruff check" "$py" -m ruff check "${python_dirs[@]}"
gate "ruff format" "$py" -m ruff format --check "${python_dirs[@]}"
gate "mypy --strict" "$py" -m mypy
gate "stubtest _core" env PYTHONPATH=python "$py" -m mypy.stubtest kubeflow.trainer._core \
  --allowlist tools/lint/stubtest-allowlist.txt
gate "clang-format" bash -c "$(declare -f cxx_sources); cxx_sources | xargs clang-format --dry-run --Werror"
gate "clang-tidy" bash -c "$(declare -f tidy_sources); tidy_sources | \
  xargs -P $(nproc) -n 1 clang-tidy -p $build_dir --quiet 2>&1 | grep -v ' warnings generated\.\$' ; \
  exit \${PIPESTATUS[1]}"
gate "repo rules" "$py" tools/lint/repo_rules.py

if ((${#failed[@]})); then
  echo "lint: ${#failed[@]} gate(s) failed: ${failed[*]}"
  exit 1
fi
echo "lint: all gates passed"
