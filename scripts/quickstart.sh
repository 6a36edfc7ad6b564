#!/usr/bin/env bash
# Sets up, builds bunkerd, initialises a data directory with the embedded defaults (a local
# directory, a RocksDB index, local packs), backs up a few files, restores them somewhere new and
# proves the restore is byte-identical. DIR defaults to ./bunker-data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
data="${1:-bunker-data}"
dotnet build src/Server/Bunker.Server.csproj -c Release -nologo -v quiet
bunkerd() { dotnet src/Server/bin/Release/net10.0/bunkerd.dll --data "$data" "$@"; }

[ -f "$data/repos/default/config" ] || bunkerd init
sample=(README.md src/Server/bin/Release/net10.0/Bunker.Storage.dll /usr/lib/x86_64-linux-gnu/librocksdb.so.7.8)
snapshot=$(bunkerd backup-file "${sample[@]}")
echo "backed up ${#sample[@]} files as snapshot $snapshot"
target=$(mktemp -d)
bunkerd restore-file "$snapshot" "$target"
for f in "${sample[@]}"; do cmp "$f" "$target/$(basename "$f")"; done
echo "restore verified byte-for-byte in $target"
bunkerd snapshots
bunkerd check --read-data
