# SPDX-License-Identifier: Apache-2.0
# Sanitizer and fuzzing builds (scripts/sanitize.sh, scripts/fuzz.sh), each in a build dir of its
# own. Flags apply to every target, so the core, the Catch2 suite and the extension agree.
#   KUBEFLOW_SANITIZE=address,undefined  or  thread   (gcc or clang)
#   KUBEFLOW_FUZZ=ON  libFuzzer targets in tests/fuzz (clang only; usually with address,undefined)
set(KUBEFLOW_SANITIZE "" CACHE STRING "Sanitizers for every target: address,undefined or thread")
option(KUBEFLOW_FUZZ "Build the libFuzzer targets in tests/fuzz (clang only)" OFF)

if(KUBEFLOW_SANITIZE)
  # -O1 keeps the runs fast enough and the stacks readable. Any report aborts: a finding is a
  # failure, never a line in a log. _GLIBCXX_ASSERTIONS adds bounds checks to std containers.
  add_compile_options(-fsanitize=${KUBEFLOW_SANITIZE} -fno-sanitize-recover=all
                      -fno-omit-frame-pointer -O1 -D_GLIBCXX_ASSERTIONS)
  add_link_options(-fsanitize=${KUBEFLOW_SANITIZE})
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND KUBEFLOW_SANITIZE MATCHES "address|undefined")
    # gcc 12's ASan/UBSan instrumentation makes -Wmaybe-uninitialized fire inside libstdc++'s
    # <regex> (a known false positive of sanitized builds); the plain build keeps the warning.
    add_compile_options(-Wno-maybe-uninitialized)
  endif()
endif()

if(KUBEFLOW_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "KUBEFLOW_FUZZ needs clang (libFuzzer): configure with CXX=clang++-14")
  endif()
  # Coverage instrumentation for everything; only the fuzz executables link libFuzzer's main.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
