#!/usr/bin/env bash
# The S3 store benchmark: a real bunkerd on loopback with two repositories, one on the local store and one on an
# s3rver (npm, tests/s3) on loopback, the same tree backed up to and restored from each, in one run. It prints the
# wall time and MB/s of each, and the S3 requests per GB stored and per GB restored (from `bunker admin status`).
#   bench/s3.sh [--size-mib N] [--keep]
# Work dir under /var/tmp, deleted unless --keep. Needs node (s3rver) and about 4x the tree size free.
set -euo pipefail

size_mib=1024
keep=0
while (($#)); do
  case "$1" in
    --size-mib) size_mib=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: bench/s3.sh [--size-mib N] [--keep]" >&2; exit 2 ;;
  esac
done

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
dotnet build "$repo/src/Server" -c Release -nologo -v quiet >/dev/null
dotnet build "$repo/src/Client" -c Release -nologo -v quiet >/dev/null
[ -d "$repo/tests/s3/node_modules" ] || (cd "$repo/tests/s3" && npm ci --no-audit --no-fund --loglevel=error)
bunkerd_dll="$repo/src/Server/bin/Release/net10.0/bunkerd.dll"
bunker_dll="$repo/src/Client/bin/Release/net10.0/bunker.dll"

work=$(mktemp -d /var/tmp/bunker-bench-s3-XXXXXX)
log="$work/bench.log"
pids=()
cleanup() {
  status=$?
  ((status == 0)) || echo "s3.sh: failed (exit $status); the log: $log" >&2
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if ((keep)); then echo "kept: $work"; else rm -rf --one-file-system "$work"; fi
}
trap cleanup EXIT

now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$(now)"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# ---- s3rver and bunkerd ----------------------------------------------------------------------------------------
s3port=$(free_port)
node --openssl-legacy-provider "$repo/tests/s3/node_modules/s3rver/bin/s3rver.js" -d "$work/s3" -a 127.0.0.1 -p "$s3port" -s --configure-bucket bunker >>"$log" 2>&1 &
pids+=($!)
cat >"$work/bunkerd.json" <<JSON
{
  "Stores": { "s3": { "Type": "s3", "Endpoint": "http://127.0.0.1:$s3port", "Bucket": "bunker", "Prefix": "bench/", "AccessKey": "S3RVER", "SecretKey": "S3RVER" } },
  "RepositoryStores": { "bench/s3": "s3" }
}
JSON
port=$(free_port)
dotnet "$bunkerd_dll" --data "$work/bunkerd" --listen "127.0.0.1:$port" --config "$work/bunkerd.json" >>"$log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$work/bunkerd/admin.token" ] && break; sleep 0.1; done
export BUNKER_SERVER="http://127.0.0.1:$port"
admin() { BUNKER_TOKEN_FILE="$work/bunkerd/admin.token" dotnet "$bunker_dll" "$@"; }
for _ in $(seq 1 100); do admin hello >/dev/null 2>&1 && break; sleep 0.2; done
admin admin tenant create bench >/dev/null
admin admin repo create bench/local >/dev/null
admin admin repo create bench/s3 >/dev/null
admin admin token create --tenant bench --role backup --role restore >"$work/token"
export BUNKER_TOKEN_FILE="$work/token"
bunker() { dotnet "$bunker_dll" "$@"; }
counts() { admin admin status --json | python3 -c "import json,sys; s=[x for x in json.load(sys.stdin)['stores'] if x['name']=='s3'][0]['s3']; print(s['puts']+s['multipart_requests'], s['gets'], s['heads']+s['lists']+s['deletes'], s['bytes_uploaded'], s['bytes_downloaded'])"; }

# ---- the tree: half incompressible, half the .NET install's files ----------------------------------------------
tree="$work/tree"
mkdir -p "$tree/random"
half=$((size_mib / 2))
(set +o pipefail; openssl enc -aes-128-ctr -K 000102030405060708090a0b0c0d0e0f -iv 0 -nosalt </dev/zero 2>/dev/null | head -c $((half << 20)) | split -b 8M - "$tree/random/part.")
mkdir -p "$tree/dotnet"
total=0
while IFS= read -r -d '' f; do
  sz=$(stat -c %s "$f"); ((total + sz > (half << 20))) && break
  mkdir -p "$tree/dotnet/$(dirname "${f#/usr/share/dotnet/}")"; cp "$f" "$tree/dotnet/${f#/usr/share/dotnet/}"; total=$((total + sz))
done < <(find /usr/share/dotnet -type f -print0 | sort -z)
bytes=$(du -sb "$tree" | cut -f1)
sync

rows=()
for target in local s3; do
  export BUNKER_REPOSITORY=$target
  read -r p0 g0 o0 up0 down0 < <(counts)
  t=$(now); bunker backup files "$tree" >>"$log" 2>&1; b=$(since "$t")
  read -r p1 g1 o1 up1 down1 < <(counts)
  rm -rf "$work/out"; sync
  t=$(now); bunker restore latest --target "$work/out" >>"$log" 2>&1; r=$(since "$t")
  read -r p2 g2 o2 up2 down2 < <(counts)
  diff -r "$tree" "$work/out$tree" >/dev/null || { echo "s3.sh: the restore from $target differs" >&2; exit 1; }
  stored=$(du -sb "$work/bunkerd/repos" 2>/dev/null | cut -f1)
  rows+=("$target|$b|$r|$((p1 - p0))|$((g1 - g0))|$((o1 - o0))|$((up1 - up0))|$((p2 - p1))|$((g2 - g1))|$((o2 - o1))|$((down2 - down1))")
done

echo
echo "S3 store benchmark: $((bytes >> 20)) MiB tree (half AES-CTR keystream, half /usr/share/dotnet files), bunkerd and s3rver on loopback, $(nproc) cores"
echo
echo "| store | backup s | backup MB/s | restore s | restore MB/s | backup requests (put / get / other) | MB uploaded | restore requests (put / get / other) | MB downloaded |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for row in "${rows[@]}"; do
  IFS='|' read -r target b r bp bg bo up rp rg ro down <<<"$row"
  mbs() { python3 -c "import sys; print(f'{float(sys.argv[1]) / 1e6 / float(sys.argv[2]):.0f}')" "$bytes" "$1"; }
  if [ "$target" = local ]; then
    echo "| local | $b | $(mbs "$b") | $r | $(mbs "$r") | - | - | - | - |"
  else
    echo "| s3 (s3rver) | $b | $(mbs "$b") | $r | $(mbs "$r") | $bp / $bg / $bo | $((up / 1000000)) | $rp / $rg / $ro | $((down / 1000000)) |"
    python3 - "$bytes" "$bp" "$bg" "$bo" "$rp" "$rg" "$ro" "$up" <<'PY'
import sys
data, bp, bg, bo, rp, rg, ro, up = map(float, sys.argv[1:])
gb = data / 1e9
print(f"\nS3 requests per GB of source data: backup {(bp + bg + bo) / gb:.0f} ({bp / gb:.0f} PUT), restore {(rp + rg + ro) / gb:.0f} ({rg / gb:.0f} GET); per GB stored in the bucket: {(bp + bg + bo) / (up / 1e9):.0f}")
PY
  fi
done
echo
echo "log: $log"
