#!/usr/bin/env bash
# The VM image benchmark: a real bunkerd on loopback and the bunker CLI, on a 4 GiB disk image with data in about
# 60% of it (96 MiB of data in every 160 MiB, incompressible, the rest holes). It measures, in one run:
#   - restore: `bunker restore vm` into a new sparse file at 1, 4, 8 and 16 streams, next to
#     `cp --sparse=always` of the same raw image (and cp followed by sync, since the restore ends with fsync);
#   - incremental backup after 100 MiB of writes (qemu-io, 25 x 4 MiB scattered) to the qcow2 image served by
#     qemu-nbd: without a bitmap (reads all allocated data, which bunkerd dedups), then, after another 100 MiB,
#     with `--dirty-bitmap` (reads only the dirty chunks); each uploads its own 100 MiB of changes.
#   bench/vm.sh [--size-gib N] [--keep]
# Needs qemu-utils and about 3x the image size free under /var/tmp. Work dir deleted unless --keep.
set -euo pipefail

size_gib=4
keep=0
while (($#)); do
  case "$1" in
    --size-gib) size_gib=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: bench/vm.sh [--size-gib N] [--keep]" >&2; exit 2 ;;
  esac
done
for tool in qemu-img qemu-nbd qemu-io openssl; do
  command -v "$tool" >/dev/null || { echo "vm.sh: $tool is missing (apt-get install qemu-utils openssl)" >&2; exit 1; }
done

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
dotnet build "$repo/src/Server" -c Release -nologo -v quiet >/dev/null
dotnet build "$repo/src/Client" -c Release -nologo -v quiet >/dev/null
bunkerd_dll="$repo/src/Server/bin/Release/net10.0/bunkerd.dll"
bunker_dll="$repo/src/Client/bin/Release/net10.0/bunker.dll"
dotnet_bin=$(readlink -f "$(command -v dotnet)")

work=$(mktemp -d /var/tmp/bunker-bench-vm-XXXXXX)
log="$work/bench.log"
pids=()
cleanup() {
  status=$?
  ((status == 0)) || echo "vm.sh: failed (exit $status); the log: $log" >&2
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if ((keep)); then echo "kept: $work"; else rm -rf --one-file-system "$work"; fi
}
trap cleanup EXIT

now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$(now)"; }
rate() { python3 -c "import sys; print(f'{float(sys.argv[1]) / 1048576 / float(sys.argv[2]):.0f}')" "$1" "$2"; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# ---- bunkerd and a token ---------------------------------------------------------------------------------------
port=$(free_port)
dotnet "$bunkerd_dll" --data "$work/bunkerd" --listen "127.0.0.1:$port" >>"$log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$work/bunkerd/admin.token" ] && break; sleep 0.1; done
export BUNKER_SERVER="http://127.0.0.1:$port"
admin() { BUNKER_TOKEN_FILE="$work/bunkerd/admin.token" dotnet "$bunker_dll" "$@"; }
for _ in $(seq 1 100); do admin hello >/dev/null 2>&1 && break; sleep 0.2; done
admin admin tenant create bench >/dev/null
admin admin repo create bench/vm >/dev/null
admin admin token create --tenant bench --role backup --role restore --description "vm bench" >"$work/token"
export BUNKER_TOKEN_FILE="$work/token" BUNKER_REPOSITORY=vm
bunker() { "$dotnet_bin" "$bunker_dll" "$@"; }

# ---- the image -------------------------------------------------------------------------------------------------
raw="$work/disk.raw"
size=$((size_gib << 30))
truncate -s "$size" "$raw"
region=$((160 << 20)) data_run=$((96 << 20))
echo "vm.sh: writing a ${size_gib} GiB image, 96 MiB of data in every 160 MiB..." >&2
for ((at = 0; at < size; at += region)); do
  n=$(( size - at < data_run ? size - at : data_run ))
  # AES-CTR keystream: incompressible, fast, the same bytes every run. openssl dies of SIGPIPE when head has
  # enough, which pipefail would count as a failure.
  (set +o pipefail
   openssl enc -aes-128-ctr -K 000102030405060708090a0b0c0d0e0f -iv "$(printf '%032x' "$at")" -nosalt </dev/zero 2>/dev/null |
     head -c "$n" | dd of="$raw" bs=4M seek="$at" oflag=seek_bytes conv=notrunc,sparse status=none)
done
data_bytes=$(du -B1 "$raw" | cut -f1)
qcow2="$work/disk.qcow2"
qemu-img convert -f raw -O qcow2 "$raw" "$qcow2"
serve() { # [BITMAP]: a dirty bitmap qemu-nbd exposes as qemu:dirty-bitmap:BITMAP
  rm -f "$work/nbd.sock"
  qemu-nbd --format=qcow2 --read-only --persistent --shared=4 --socket="$work/nbd.sock" --export-name=sda ${1:+--bitmap=$1} "$qcow2" >>"$log" 2>&1 &
  nbd_pid=$!
  pids+=($nbd_pid)
  for _ in $(seq 1 100); do [ -S "$work/nbd.sock" ] && break; sleep 0.05; done
}
uri="nbd+unix:///sda?socket=$work/nbd.sock"

# ---- backups ----------------------------------------------------------------------------------------------------
# 100 MiB of changes: 25 writes of 4 MiB at seeded places (each straddles two chunks), through qemu-io, so that the
# image's enabled persistent bitmaps record them.
change() {
  local writes=()
  for i in $(seq 0 24); do writes+=(-c "write -P $((i + $1)) $(( ((i * size / 25 + $1 * (7 << 20)) % (size - (8 << 20)) / 4096) * 4096 + (1 << 20) )) 4M"); done
  qemu-io -f qcow2 "${writes[@]}" "$qcow2" >>"$log" 2>&1
}
read_of() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['disks'][0]['bytes_read'], d['bytes_added'])" "$1"; }
serve
sync
t=$(now); bunker backup vm --disk "sda=$uri" --vm bench --host bench >>"$log" 2>&1; full_s=$(since "$t")
kill "$nbd_pid"; wait "$nbd_pid" 2>/dev/null || true
# Without a bitmap: everything allocated is read and hashed, and bunkerd's dedup keeps the upload to what changed.
# The bitmap b1 is created here, so this backup records it and the next one may trust it.
change 1
qemu-img bitmap --add "$qcow2" b1
serve b1
t=$(now); bunker backup vm --disk "sda=$uri" --vm bench --host bench --dirty-bitmap b1 --json >"$work/nobitmap.json" 2>>"$log"; nobitmap_s=$(since "$t")
kill "$nbd_pid"; wait "$nbd_pid" 2>/dev/null || true
# With the bitmap: only the chunks b1 marks are read; the others are the parent's, by digest.
change 2
serve b1
t=$(now); bunker backup vm --disk "sda=$uri" --vm bench --host bench --dirty-bitmap b1 --json >"$work/bitmap.json" 2>>"$log"; bitmap_s=$(since "$t")
kill "$nbd_pid"; wait "$nbd_pid" 2>/dev/null || true
python3 -c "import json,sys; [print('vm.sh: warning in the bitmap run:', w, file=sys.stderr) for w in json.load(open(sys.argv[1]))['warnings']]" "$work/bitmap.json"
read -r bitmap_read bitmap_added < <(read_of "$work/bitmap.json")
read -r nobitmap_read nobitmap_added < <(read_of "$work/nobitmap.json")
qemu-img convert -f qcow2 -O raw "$qcow2" "$raw.new" && mv "$raw.new" "$raw" # the disk as the latest snapshot has it
sync

# ---- restores --------------------------------------------------------------------------------------------------
t=$(now); cp --sparse=always "$raw" "$work/cp.raw"; cp_s=$(since "$t")
rm -f "$work/cp.raw"; sync
t=$(now); cp --sparse=always "$raw" "$work/cp.raw"; sync "$work/cp.raw"; cpsync_s=$(since "$t")
rm -f "$work/cp.raw"; sync
rows=()
for streams in 1 4 8 16; do
  out="$work/restored.raw"
  rm -f "$out"; sync
  t=$(now); bunker restore vm latest --vm bench --to "$out" --parallel "$streams" >>"$log" 2>&1; s=$(since "$t")
  cmp "$raw" "$out" || { echo "vm.sh: the restore at $streams streams differs from the image" >&2; exit 1; }
  rows+=("$streams|$s")
  rm -f "$out"; sync
done

# ---- the table -------------------------------------------------------------------------------------------------
echo
echo "VM image: ${size_gib} GiB, $((data_bytes >> 20)) MiB allocated (incompressible), $(nproc) cores; page cache warm (the image was just written)"
echo
echo "| restore of the latest snapshot | seconds | MiB/s of data | vs cp --sparse=always | vs cp + sync |"
echo "| --- | --- | --- | --- | --- |"
echo "| cp --sparse=always | $cp_s | $(rate "$data_bytes" "$cp_s") | 1.00 | |"
echo "| cp --sparse=always, then sync | $cpsync_s | $(rate "$data_bytes" "$cpsync_s") | | 1.00 |"
for row in "${rows[@]}"; do
  IFS='|' read -r streams s <<<"$row"
  echo "| bunker restore vm, $streams stream(s) | $s | $(rate "$data_bytes" "$s") | $(ratio "$cp_s" "$s") | $(ratio "$cpsync_s" "$s") |"
done
echo
echo "| backup over NBD (qemu-nbd, qcow2) | seconds | MiB read | MiB added | speed-up over the full read |"
echo "| --- | --- | --- | --- | --- |"
echo "| first, full | $full_s | $((data_bytes >> 20)) | $((data_bytes >> 20)) | |"
echo "| after 100 MiB of writes, no bitmap (a full read) | $nobitmap_s | $((nobitmap_read >> 20)) | $((nobitmap_added >> 20)) | 1.00 |"
echo "| after another 100 MiB of writes, --dirty-bitmap | $bitmap_s | $((bitmap_read >> 20)) | $((bitmap_added >> 20)) | $(ratio "$nobitmap_s" "$bitmap_s") |"
echo
echo "log: $log"
