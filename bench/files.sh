#!/usr/bin/env bash
# The files benchmark (a few minutes): bunker (bunkerd on loopback + the bunker CLI), restic and borg back up and
# restore the same real tree (a copy of /usr/share/dotnet and /usr/lib/x86_64-linux-gnu, ~1.7 GB),
# then a deterministic 5% change of it. Builds bunkerd, bunker and the harness (Release) first.
#   bench/files.sh [--data DIR] [--keep] [--tools bunker,restic,borg] [--json FILE] ...
# The table goes to stdout and to bench-files-<date>.txt, the raw figures to bench-files-<date>.json
# and the tools' own output to bench-files-<date>.log, all in the current directory. Needs ~8 GB free
# under the work dir (default: a new directory under /tmp, deleted at the end unless --keep).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
stamp=$(date +%Y%m%d-%H%M%S)
out="$PWD/bench-files-$stamp.txt"

for tool in restic borg; do
  command -v "$tool" >/dev/null || { echo "files.sh: $tool is not installed (apt-get install ${tool/borg/borgbackup})" >&2; exit 1; }
done
[[ -x /usr/bin/time ]] || { echo "files.sh: /usr/bin/time is missing (apt-get install time); peak RSS of the clients needs it" >&2; exit 1; }

# The harness builds src/Server and src/Client too: bunkerd.dll and bunker.dll are run from their bin/Release.
dotnet build "$here/Bunker.Bench" -c Release -nologo -v quiet

json=()
[[ " $* " == *" --json "* ]] || json=(--json "$PWD/bench-files-$stamp.json")
dotnet run -c Release --no-build --project "$here/Bunker.Bench" -- files "${json[@]}" "$@" 2>&1 | tee "$out"
