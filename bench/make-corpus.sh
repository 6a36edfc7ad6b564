#!/usr/bin/env bash
# Builds a deterministic ~1 GiB backup corpus: the same files and bytes on every run on the same
# machine, so figures from different runs and tools are comparable.
#   /usr/share/dotnet                       real binaries with some duplicates between versions
#   /usr/lib/x86_64-linux-gnu (first ~320 MiB of regular files, sorted by path)
#   4 x 32 MiB of pseudo-random bytes       incompressible, from AES-CTR over zeros with a fixed key
set -euo pipefail

corpus=${1:-/tmp/bunker-corpus}
libs_budget=$((320 * 1024 * 1024))

if [[ -f "$corpus/.complete" ]]; then
  echo "corpus: $corpus already built"
  exit 0
fi
rm -rf "$corpus"
mkdir -p "$corpus/dotnet" "$corpus/lib" "$corpus/random"

cp -a /usr/share/dotnet/. "$corpus/dotnet/"

# A fixed budget of libraries, chosen by sorted path so that the selection does not depend on
# directory order.
taken=0
while IFS= read -r -d '' file; do
  size=$(stat -c %s "$file")
  (( taken + size > libs_budget )) && break
  rel=${file#/usr/lib/x86_64-linux-gnu/}
  mkdir -p "$corpus/lib/$(dirname "$rel")"
  cp -p "$file" "$corpus/lib/$rel"
  taken=$((taken + size))
done < <(find /usr/lib/x86_64-linux-gnu -type f -print0 | sort -z)

for i in 0 1 2 3; do
  key=$(printf '%064x' "$((i + 1))")
  head -c $((32 * 1024 * 1024)) /dev/zero \
    | openssl enc -aes-256-ctr -nosalt -K "$key" -iv 00000000000000000000000000000000 \
    > "$corpus/random/random-$i.bin"
done

touch "$corpus/.complete"
echo "corpus: $corpus $(du -sb "$corpus" | cut -f1) bytes in $(find "$corpus" -type f | wc -l) files"
