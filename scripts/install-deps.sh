#!/bin/sh
# Installs the Debian packages bpfhost needs, only those missing.
# Idempotent; runs apt-get as root or through sudo. See README.md for why
# each package is needed.
set -eu
PACKAGES="build-essential cmake pkg-config libcmocka-dev libelf-dev libjson-c-dev libseccomp-dev nettle-dev libbpf-dev clang llvm libclang-rt-14-dev"
missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
