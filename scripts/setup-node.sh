#!/usr/bin/env bash
# Installs the Debian packages the full test cluster's node needs (containerd, runc, CNI plugins,
# socat, mmdebstrap, iproute2, iptables for the machine-state check); skips what is there.
set -euo pipefail
packages=(containerd runc containernetworking-plugins socat mmdebstrap iproute2 iptables curl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup-node: installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
