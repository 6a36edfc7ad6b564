#!/usr/bin/env bash
# The PostgreSQL benchmark: a real PostgreSQL 15 cluster with a pgbench database (scale 100 by default, ~1.5 GB),
# a real bunkerd on loopback, and the bunker CLI. It measures, in one run:
#   - base backup: `pg_basebackup -Ft -X fetch` to a local directory, against `bunker pg backup` (first, then a
#     second one that dedups), and restic and borg reading the same tar on stdin when they are installed;
#   - wal-push: the wall time of `bunker pg wal-push` for real 16 MiB segments (and of `bunker --version`, the
#     process start alone, which PostgreSQL pays for every segment);
#   - restore: `bunker pg restore --start`, from the command to a promoted server, against unpacking the local
#     tar and starting it.
#   bench/pg.sh [--scale N] [--segments N] [--keep]
# Must run as root (the cluster runs as postgres). Work dir: a new directory under /var/tmp, deleted unless --keep.
set -euo pipefail

scale=100
segments=10
keep=0
while (($#)); do
  case "$1" in
    --scale) scale=$2; shift 2 ;;
    --segments) segments=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: bench/pg.sh [--scale N] [--segments N] [--keep]" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "pg.sh: run as root (PostgreSQL runs as the postgres user, the restore hands it the files)" >&2; exit 2; }

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
pgbin=/usr/lib/postgresql/15/bin
dotnet build "$repo/src/Server" -c Release -nologo -v quiet >/dev/null
dotnet build "$repo/src/Client" -c Release -nologo -v quiet >/dev/null
bunkerd_dll="$repo/src/Server/bin/Release/net10.0/bunkerd.dll"
bunker_dll="$repo/src/Client/bin/Release/net10.0/bunker.dll"
dotnet_bin=$(readlink -f "$(command -v dotnet)")

work=$(mktemp -d /var/tmp/bunker-bench-pg-XXXXXX)
chmod 755 "$work"
log="$work/bench.log"
pids=()
cleanup() {
  for d in "$work/pg/data" "$work/restored/data" "$work/plain-restored/data"; do
    [ -f "$d/postmaster.pid" ] && runuser -u postgres -- "$pgbin/pg_ctl" -D "$d" -m immediate stop >/dev/null 2>&1 || true
  done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if ((keep)); then echo "kept: $work"; else rm -rf --one-file-system "$work"; fi
}
trap cleanup EXIT

now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$(now)"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
mib() { du -sb "$1" | awk '{printf "%.0f", $1 / 1048576}'; }

# ---- bunkerd and a token ---------------------------------------------------------------------------------------
port=$(free_port)
dotnet "$bunkerd_dll" --data "$work/bunkerd" --listen "127.0.0.1:$port" >>"$log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$work/bunkerd/admin.token" ] && break; sleep 0.1; done
export BUNKER_SERVER="http://127.0.0.1:$port"
admin() { BUNKER_TOKEN_FILE="$work/bunkerd/admin.token" dotnet "$bunker_dll" "$@"; }
for _ in $(seq 1 100); do admin hello >/dev/null 2>&1 && break; sleep 0.2; done
admin admin tenant create bench >/dev/null
admin admin repo create bench/pg >/dev/null
admin admin token create --tenant bench --role backup --role restore --description "pg bench" >"$work/token"
chmod 644 "$work/token"
export BUNKER_TOKEN_FILE="$work/token" BUNKER_REPOSITORY=pg
bunker() { "$dotnet_bin" "$bunker_dll" "$@"; }

# ---- the cluster -----------------------------------------------------------------------------------------------
mkdir -p "$work/pg"
chown -R postgres:postgres "$work/pg"
pgport=$(free_port)
runuser -u postgres -- "$pgbin/initdb" -D "$work/pg/data" -A trust -U postgres >>"$log" 2>&1
cat >>"$work/pg/data/postgresql.conf" <<EOF
port = $pgport
unix_socket_directories = '$work/pg'
listen_addresses = ''
wal_level = replica
max_wal_size = 4GB
archive_mode = on
archive_command = '/bin/true'
EOF
runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -w start >>"$log" 2>&1
conn="host=$work/pg port=$pgport user=postgres dbname=postgres"
echo "pg.sh: pgbench -i -s $scale (this takes a while)..." >&2
t=$(now); runuser -u postgres -- "$pgbin/pgbench" -h "$work/pg" -p "$pgport" -U postgres -i -s "$scale" -q postgres >>"$log" 2>&1; init_s=$(since "$t")
db_mib=$(runuser -u postgres -- "$pgbin/psql" -h "$work/pg" -p "$pgport" -U postgres -XAtq -c "SELECT pg_database_size('postgres') / 1048576")

# ---- base backups ----------------------------------------------------------------------------------------------
sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
t=$(now); "$pgbin/pg_basebackup" -d "$conn" -D "$work/plain" -Ft -X fetch --checkpoint=fast >>"$log" 2>&1; plain_s=$(since "$t")
plain_mib=$(mib "$work/plain")
chmod -R a+rX "$work/plain" # the baseline restore below unpacks it as postgres
sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
t=$(now); bunker pg backup --pg "$conn" --host bench --fast-checkpoint >>"$log" 2>&1; bunker_s=$(since "$t")
t=$(now); bunker pg backup --pg "$conn" --host bench --fast-checkpoint >>"$log" 2>&1; bunker2_s=$(since "$t")
repo_mib=$(mib "$work/bunkerd")

peer_rows=()
if command -v restic >/dev/null; then
  export RESTIC_PASSWORD=bench RESTIC_REPOSITORY="$work/restic"
  restic init >>"$log" 2>&1
  t=$(now); "$pgbin/pg_basebackup" -d "$conn" -D - -Ft -X fetch --checkpoint=fast 2>>"$log" | restic backup --stdin --stdin-filename base.tar >>"$log" 2>&1; restic_s=$(since "$t")
  peer_rows+=("restic 0.14 (pg_basebackup piped to restic backup --stdin)|$restic_s|$(mib "$work/restic")")
fi
if command -v borg >/dev/null; then
  export BORG_PASSPHRASE=bench BORG_REPO="$work/borg" BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes
  borg init -e repokey "$work/borg" >>"$log" 2>&1
  t=$(now); "$pgbin/pg_basebackup" -d "$conn" -D - -Ft -X fetch --checkpoint=fast 2>>"$log" | borg create "::base" - >>"$log" 2>&1; borg_s=$(since "$t")
  peer_rows+=("borg 1.2 (pg_basebackup piped to borg create -)|$borg_s|$(mib "$work/borg")")
fi

# ---- wal-push --------------------------------------------------------------------------------------------------
# Real segments, written by a pgbench run, copied out of pg_wal so that the archiver's timing does not interfere.
runuser -u postgres -- "$pgbin/pgbench" -h "$work/pg" -p "$pgport" -U postgres -n -T 15 -c 2 postgres >>"$log" 2>&1
mkdir -p "$work/segments"
# Only segments already written and closed: pg_wal also holds recycled files under future names, with old content.
current=$(runuser -u postgres -- "$pgbin/psql" -h "$work/pg" -p "$pgport" -U postgres -XAtq -c "SELECT pg_walfile_name(pg_current_wal_lsn())")
ls "$work/pg/data/pg_wal" | grep -E '^[0-9A-F]{24}$' | sort | awk -v cur="$current" '$0 < cur' | tail -n "$segments" | while read -r s; do cp "$work/pg/data/pg_wal/$s" "$work/segments/"; done
push_times=()
for f in "$work/segments"/*; do
  t=$(now); bunker pg wal-push --host bench --pgdata "$work/pg/data" "$f" >>"$log" 2>&1; push_times+=("$(since "$t")")
done
t=$(now); for _ in 1 2 3 4 5; do bunker --version >/dev/null; done; start_s=$(python3 -c "print(f'{$(since "$t") / 5:.3f}')")
push_stats=$(python3 -c "import sys, statistics as s; v=[float(x) for x in sys.argv[1:]]; print(f'{s.median(v):.3f} {min(v):.3f} {max(v):.3f}')" "${push_times[@]}")

# ---- restore to consistency ------------------------------------------------------------------------------------
mkdir -p "$work/restored" "$work/plain-restored"
chown postgres:postgres "$work/restored" "$work/plain-restored"
rport=$(free_port)
sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
t=$(now); bunker pg restore --to "$work/restored/data" --host bench --port "$rport" --socket-dir "$work/restored" --start >>"$log" 2>&1; restore_s=$(since "$t")
runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/restored/data" -m fast stop >>"$log" 2>&1
# The baseline: unpack the local tar and start it (it holds its WAL, so it is consistent without an archive).
pport=$(free_port)
sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
t=$(now)
runuser -u postgres -- bash -c "mkdir -m 700 '$work/plain-restored/data' && tar -xf '$work/plain/base.tar' -C '$work/plain-restored/data' && rm -f '$work/plain-restored/data/pg_wal/archive_status/'* && touch '$work/plain-restored/data/recovery.signal' && \
  printf \"port = $pport\nunix_socket_directories = '$work/plain-restored'\narchive_mode = off\nrestore_command = '/bin/false'\n\" >> '$work/plain-restored/data/postgresql.auto.conf' && \
  '$pgbin/pg_ctl' -D '$work/plain-restored/data' -l '$work/plain-restored/log' -w -t 600 start >/dev/null && \
  until '$pgbin/pg_controldata' -D '$work/plain-restored/data' | grep -q 'in production'; do sleep 0.2; done"
plain_restore_s=$(since "$t")

# ---- the table -------------------------------------------------------------------------------------------------
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}x')" "$1" "$2"; }
rate() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.0f}')" "$1" "$2"; }
{
  echo "PostgreSQL benchmark: pgbench scale $scale, database $db_mib MiB, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  printf '%-58s %10s %10s %12s\n' "base backup" "seconds" "MiB/s" "stored MiB"
  printf '%-58s %10s %10s %12s\n' "pg_basebackup -Ft -X fetch to a local directory" "$plain_s" "$(rate "$plain_mib" "$plain_s")" "$plain_mib"
  printf '%-58s %10s %10s %12s\n' "bunker pg backup (first)" "$bunker_s" "$(rate "$plain_mib" "$bunker_s")" "$repo_mib"
  printf '%-58s %10s %10s %12s\n' "bunker pg backup (second, dedup)" "$bunker2_s" "$(rate "$plain_mib" "$bunker2_s")" "$(mib "$work/bunkerd")"
  for row in "${peer_rows[@]}"; do IFS='|' read -r name secs stored <<<"$row"; printf '%-58s %10s %10s %12s\n' "$name" "$secs" "$(rate "$plain_mib" "$secs")" "$stored"; done
  echo "bunker first backup / pg_basebackup: $(ratio "$bunker_s" "$plain_s") the time"
  echo
  read -r med lo hi <<<"$push_stats"
  echo "wal-push of a 16 MiB segment ($segments segments): median ${med}s (min $lo, max $hi); process start alone (bunker --version): ${start_s}s"
  echo
  echo "restore to a promoted server: bunker pg restore --start ${restore_s}s; local tar -x + start ${plain_restore_s}s ($(ratio "$restore_s" "$plain_restore_s"))"
} | tee "$PWD/bench-pg-$(date +%Y%m%d-%H%M%S).txt"
