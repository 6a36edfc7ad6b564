#!/usr/bin/env bash
# Installs what Bunker needs on a fresh Debian 12 machine, only when it is missing.
set -euo pipefail

# postgresql-15: its server and client programs for the PostgreSQL tests (they start private clusters of their own).
# qemu-utils (qemu-img, qemu-nbd, qemu-io), nbdkit and libnbd-bin (nbdinfo, nbdcopy), e2fsprogs (mkfs.ext4, debugfs):
# the VM image tests build real images, serve them over NBD and read bunker's own NBD export with them.
packages=(librocksdb7.8 libzstd1 postgresql-15 qemu-utils nbdkit libnbd-bin e2fsprogs)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node and npm only drive the gRPC interop tests; any install on PATH will do, Debian's as a fallback.
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK is required (dotnet not on PATH)" >&2; exit 1; }
