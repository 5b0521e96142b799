#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the demo need, but only
# those that are missing, so repeated runs are quick. Needs root (or sudo) the
# first time.
set -euo pipefail

packages=(
  pkg-config libssl-dev libcurl4-openssl-dev   # build: libcrypto and libcurl
  libcrypt-dev                                 # build: libxcrypt (bcrypt for basic auth)
  openipmi ipmitool freeipmi-tools             # tests: a real BMC and two oracle clients
  prometheus prometheus-pushgateway            # tests: promtool, a real Prometheus and Pushgateway
  prometheus-ipmi-exporter                     # tests and bench: the reference exporter (ReferenceExporterTests)
  tcpdump python3 python3-yaml curl procps     # tests and bench: packet counts, vector generation, deploy checks
  python3-bcrypt openssl                       # tests: the gateway's --web.config.file (bcrypt hash, test PKI)
  apache2-utils                                # tests: htpasswd -B, a second bcrypt implementation
  qemu-system-x86 linux-image-amd64 busybox-static             # tests: a guest with /dev/ipmi0 (local mode)
  debootstrap systemd binutils dpkg-dev        # package: a clean Debian root, systemd-analyze, strip, shlibdeps
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "installing: ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
