#!/usr/bin/env bash
# Builds the wheel's private HTTP stack as static, position-independent archives: a lean libcurl
# (HTTP/HTTPS, HTTP/2, proxies; OpenSSL; zlib) and nghttp2. The system libcurl is linked against
# ~30 libraries (LDAP, RTMP, SSH, Kerberos, GnuTLS, ...) whose static archives mostly do not exist
# and that our HTTP use never needs. OpenSSL, zlib and yaml-cpp come from Debian's static archives.
# Sources: the verified crates curl-sys and libnghttp2-sys vendor upstream's release trees; cargo
# fetches them (checksums from the registry index) with a throwaway manifest under build/.
# The result is cached under ~/.cache/kubeflow-sdk-cpp/wheel-deps/<key>; prints the prefix.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

curl_crate="curl-sys@0.4.91+curl-8.22.0"
nghttp2_crate="libnghttp2-sys@0.1.13+1.68.1"
cc_version="$(cc --version | head -n 1)"
key="$(printf '%s\n' "$curl_crate" "$nghttp2_crate" "$cc_version" | cat - "$0" | sha256sum | cut -c1-16)"
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/kubeflow-sdk-cpp/wheel-deps"
prefix="$cache_root/$key"
if [[ -f $prefix/.done ]]; then
  echo "$prefix"
  exit 0
fi

export PATH="$PATH:$HOME/.cargo/bin"
if ! command -v cargo >/dev/null; then
  echo "wheel-deps: cargo is needed once to fetch the curl and nghttp2 sources (apt install cargo)" >&2
  exit 1
fi
work="$PWD/build/wheel-deps"
rm -rf "$work"
mkdir -p "$work/fetch/src"
printf '' >"$work/fetch/src/lib.rs"
cat >"$work/fetch/Cargo.toml" <<TOML
[package]
name = "kubeflow-wheel-deps-fetch"
version = "0.0.0"
edition = "2021"
publish = false
[dependencies]
curl-sys = { version = "=${curl_crate#*@}", default-features = false }
libnghttp2-sys = "=${nghttp2_crate#*@}"
TOML
echo "wheel-deps: fetching $curl_crate and $nghttp2_crate" >&2
(cd "$work/fetch" && cargo vendor --quiet --versioned-dirs "$work/vendor" >/dev/null)
curl_src="$work/vendor/curl-sys-${curl_crate#*@}/curl"
nghttp2_src="$work/vendor/libnghttp2-sys-${nghttp2_crate#*@}/nghttp2"

stage="$prefix.tmp"
rm -rf "$stage"
common=(-G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_POSITION_INDEPENDENT_CODE=ON
  -DCMAKE_INSTALL_PREFIX="$stage" -DCMAKE_INSTALL_LIBDIR=lib
  -DBUILD_SHARED_LIBS=OFF -DBUILD_STATIC_LIBS=ON -DBUILD_TESTING=OFF
  -DCMAKE_C_FLAGS="-fvisibility=hidden")

echo "wheel-deps: building nghttp2" >&2
cmake -S "$nghttp2_src" -B "$work/nghttp2" "${common[@]}" -DENABLE_LIB_ONLY=ON -DENABLE_DOC=OFF \
  -DENABLE_FAILMALLOC=OFF -DWITH_LIBXML2=OFF -DWITH_JEMALLOC=OFF >&2
cmake --build "$work/nghttp2" -j "$(nproc)" >&2
cmake --install "$work/nghttp2" >&2

echo "wheel-deps: building libcurl (HTTP/HTTPS, HTTP/2, proxies)" >&2
# No compiled-in CA bundle: the core picks the system's store at run time (SSL_CERT_FILE,
# SSL_CERT_DIR, then the usual distribution paths); OpenSSL's defaults remain the fallback.
cmake -S "$curl_src" -B "$work/curl" "${common[@]}" \
  -DCMAKE_PREFIX_PATH="$stage" -DNGHTTP2_INCLUDE_DIR="$stage/include" \
  -DNGHTTP2_LIBRARY="$stage/lib/libnghttp2.a" \
  -DCURL_USE_OPENSSL=ON -DOPENSSL_USE_STATIC_LIBS=ON -DCURL_ZLIB=ON -DZLIB_USE_STATIC_LIBS=ON \
  -DUSE_NGHTTP2=ON -DUSE_NGTCP2=OFF -DUSE_QUICHE=OFF -DUSE_MSH3=OFF \
  -DCURL_BROTLI=OFF -DCURL_ZSTD=OFF -DUSE_LIBIDN2=OFF -DCURL_USE_LIBPSL=OFF \
  -DCURL_USE_LIBSSH2=OFF -DCURL_USE_LIBSSH=OFF -DCURL_USE_GSSAPI=OFF -DUSE_LIBRTMP=OFF \
  -DENABLE_ARES=OFF -DCURL_USE_PKGCONFIG=OFF -DCURL_DISABLE_LDAP=ON -DCURL_DISABLE_LDAPS=ON \
  -DCURL_DISABLE_DICT=ON -DCURL_DISABLE_FILE=ON -DCURL_DISABLE_FTP=ON -DCURL_DISABLE_GOPHER=ON \
  -DCURL_DISABLE_IMAP=ON -DCURL_DISABLE_MQTT=ON -DCURL_DISABLE_POP3=ON -DCURL_DISABLE_RTSP=ON \
  -DCURL_DISABLE_SMTP=ON -DCURL_DISABLE_TELNET=ON -DCURL_DISABLE_TFTP=ON -DCURL_DISABLE_IPFS=ON \
  -DCURL_DISABLE_WEBSOCKETS=ON -DCURL_DISABLE_NETRC=ON -DCURL_DISABLE_KERBEROS_AUTH=ON \
  -DCURL_DISABLE_NEGOTIATE_AUTH=ON -DCURL_CA_BUNDLE=none -DCURL_CA_PATH=none \
  -DCURL_CA_FALLBACK=ON -DBUILD_CURL_EXE=OFF -DBUILD_LIBCURL_DOCS=OFF -DBUILD_MISC_DOCS=OFF \
  -DENABLE_CURL_MANUAL=OFF -DBUILD_EXAMPLES=OFF -DCMAKE_DISABLE_FIND_PACKAGE_Perl=ON >&2
cmake --build "$work/curl" -j "$(nproc)" >&2
cmake --install "$work/curl" >&2

touch "$stage/.done"
rm -rf "$prefix"
mv "$stage" "$prefix"
rm -rf "$work"
echo "$prefix"
