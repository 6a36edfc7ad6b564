#!/usr/bin/env bash
# The whole benchmark: builds the corpus, installs the peers if missing, and runs every command.
# Not run by CI: it needs root for apt-get, takes ~20 minutes and writes ~20 GB under /tmp.
#   bench/run.sh [CORPUS_DIR]        output goes to stdout and to bench-results-<date>.txt
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
corpus=${1:-/tmp/bunker-corpus}
out="$PWD/bench-results-$(date +%Y%m%d-%H%M%S).txt"

missing=()
command -v restic >/dev/null || missing+=(restic)
command -v borg >/dev/null || missing+=(borgbackup)
command -v openssl >/dev/null || missing+=(openssl)
[[ -x /usr/bin/time ]] || missing+=(time)
if (( ${#missing[@]} )); then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
fi

"$here/make-corpus.sh" "$corpus"
dotnet build "$here/Bunker.Bench" -c Release -nologo -v quiet
bench() { dotnet run -c Release --no-build --project "$here/Bunker.Bench" -- "$@"; }

{
  echo "# $(date -u +%FT%TZ) $(uname -srm); $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
  echo "# restic: $(restic version | head -1); borg: $(borg --version); $(openssl version)"
  echo
  echo "## openssl speed, 1 MiB blocks, one thread (the ceiling for SHA-256 and AES-256-GCM here)"
  openssl speed -seconds 1 -bytes 1048576 -evp sha256 2>/dev/null | tail -2
  openssl speed -seconds 1 -bytes 1048576 -evp aes-256-gcm 2>/dev/null | tail -1
  echo
  echo "## stages"
  bench stages
  echo
  echo "## ingest $corpus"
  bench ingest "$corpus"
  echo
  echo "## index --chunks 1000000"
  bench index --chunks 1000000
  echo
  echo "## peers $corpus"
  bench peers "$corpus"
  echo
  echo "## loopback --size 2"
  bench loopback --size 2
} 2>&1 | tee "$out"
echo "results: $out"
