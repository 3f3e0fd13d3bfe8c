# SPDX-License-Identifier: Apache-2.0
# KUBEFLOW_STATIC_DEPS (the wheel build, scripts/wheel.sh): the HTTP/TLS stack is linked
# statically into the extension, and only PyInit__core is exported, so the wheel runs on
# machines without libcurl/OpenSSL/fmt and our OpenSSL never interposes on (or is interposed by)
# the interpreter's ssl module or another extension's OpenSSL in the process.
#   libcurl + nghttp2: the lean build of scripts/wheel-deps.sh, found in KUBEFLOW_DEPS_PREFIX.
#   OpenSSL, zlib: the distribution's static archives.  fmt: header-only.
#   yaml-cpp stays shared: Debian's libyaml-cpp.a is not position-independent, so it cannot go
#   into a module; auditwheel repair bundles the .so under a hashed name (kubeflow.libs/). It has
#   no global state to clash over; libstdc++ then stays the system's (manylinux base set).
# Defines KUBEFLOW_FMT_TARGET and KUBEFLOW_YAML_TARGET, which core/ links.
set(KUBEFLOW_DEPS_PREFIX "" CACHE PATH "Static libcurl+nghttp2 prefix (scripts/wheel-deps.sh)")

# Missing build dependencies fail with one message naming the package that provides them.
function(kubeflow_require_package name debian_package)
  find_package(${name} ${ARGN} QUIET)
  if(NOT ${name}_FOUND)
    message(FATAL_ERROR "kubeflow: the build needs ${name} ${ARGN}: install the Debian package "
                        "'${debian_package}' (or its equivalent); docs/install.md lists them all")
  endif()
endfunction()

if(NOT KUBEFLOW_STATIC_DEPS)
  kubeflow_require_package(nlohmann_json nlohmann-json3-dev 3.10)
  kubeflow_require_package(fmt libfmt-dev 9)
  kubeflow_require_package(CURL libcurl4-openssl-dev 7.77)
  kubeflow_require_package(OpenSSL libssl-dev 3)
  kubeflow_require_package(yaml-cpp libyaml-cpp-dev)
  set(KUBEFLOW_FMT_TARGET fmt::fmt)
  set(KUBEFLOW_YAML_TARGET yaml-cpp)
  return()
endif()

if(NOT EXISTS "${KUBEFLOW_DEPS_PREFIX}/lib/libcurl.a")
  message(FATAL_ERROR "KUBEFLOW_STATIC_DEPS needs KUBEFLOW_DEPS_PREFIX: the prefix that "
                      "scripts/wheel-deps.sh prints (static libcurl and nghttp2)")
endif()
set(OPENSSL_USE_STATIC_LIBS ON)
set(ZLIB_USE_STATIC_LIBS ON)
kubeflow_require_package(nlohmann_json nlohmann-json3-dev 3.10)
kubeflow_require_package(fmt libfmt-dev 9)
kubeflow_require_package(OpenSSL libssl-dev 3)
kubeflow_require_package(ZLIB zlib1g-dev)
kubeflow_require_package(yaml-cpp libyaml-cpp-dev)
add_library(kubeflow_static_nghttp2 STATIC IMPORTED)
set_target_properties(kubeflow_static_nghttp2 PROPERTIES
  IMPORTED_LOCATION "${KUBEFLOW_DEPS_PREFIX}/lib/libnghttp2.a")
add_library(CURL::libcurl STATIC IMPORTED)
set_target_properties(CURL::libcurl PROPERTIES
  IMPORTED_LOCATION "${KUBEFLOW_DEPS_PREFIX}/lib/libcurl.a"
  INTERFACE_INCLUDE_DIRECTORIES "${KUBEFLOW_DEPS_PREFIX}/include"
  INTERFACE_COMPILE_DEFINITIONS CURL_STATICLIB
  INTERFACE_LINK_LIBRARIES
    "kubeflow_static_nghttp2;OpenSSL::SSL;OpenSSL::Crypto;ZLIB::ZLIB;Threads::Threads;${CMAKE_DL_LIBS}")
set(KUBEFLOW_FMT_TARGET fmt::fmt-header-only)
set(KUBEFLOW_YAML_TARGET yaml-cpp)
