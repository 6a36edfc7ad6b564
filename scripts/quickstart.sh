#!/usr/bin/env bash
# From a fresh machine to a first backup: sets up, builds bunkerd and bunker, starts bunkerd, uses the
# bootstrap admin token to create tenant 'demo', repository 'demo/main' and a backup+restore token with
# the bunker CLI, checks the token with 'bunker hello', backs up a small tree with 'bunker backup files'
# (twice: the second run is incremental), lists it, restores it elsewhere with 'bunker restore --verify',
# proves the restore byte-identical, stops bunkerd with SIGTERM and checks the repository offline.
#
#   scripts/quickstart.sh [DATA_DIR]
#
# DATA_DIR defaults to a fresh temporary directory, printed at the end; pass one (e.g. ./bunker-data) to
# keep it. A second run on the same DATA_DIR reuses the tenant and repository and adds a snapshot.
# bunkerd listens on $BUNKER_LISTEN, default 127.0.0.1:7070. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

step() { printf '\n==> %s\n' "$*"; }
show() { printf '$ %s\n' "$*"; }

step "setting up"
scripts/setup.sh

step "building bunkerd and bunker (Release)"
dotnet build src/Server/Bunker.Server.csproj -c Release -nologo -v quiet
dotnet build src/Client/Bunker.Client.csproj -c Release -nologo -v quiet
bunkerd_dll="$root/src/Server/bin/Release/net10.0/bunkerd.dll"
bunker_dll="$root/src/Client/bin/Release/net10.0/bunker.dll"

# Settings from the caller's shell would point the client or the daemon elsewhere; this run sets its own.
unset BUNKER_SERVER BUNKER_TOKEN BUNKER_TOKEN_FILE BUNKER_REPOSITORY BUNKER_CA_CERT BUNKER_DATA BUNKER_TLS__CERT BUNKER_TLS__KEY
data="${1:-$(mktemp -d "${TMPDIR:-/tmp}/bunker-data.XXXXXX")}"
mkdir -p "$data"
data=$(cd "$data" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/bunker-quickstart.XXXXXX")
listen="${BUNKER_LISTEN:-127.0.0.1:7070}"
host="${listen%:*}"
port="${listen##*:}"
case "$host" in "0.0.0.0" | "*") host=127.0.0.1 ;; "[::]") host="[::1]" ;; esac
export BUNKER_SERVER="http://$host:$port"
log="$work/bunkerd.log"

bunkerd() { dotnet "$bunkerd_dll" "$@"; }
bunker() { dotnet "$bunker_dll" "$@"; }
listening() { (exec 3<>"/dev/tcp/${host//[\[\]]/}/$port") 2>/dev/null; }

pid=""
on_exit() {
  local rc=$?
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ]; then
    echo "quickstart: FAILED (exit $rc); bunkerd's log: $log" >&2
    [ -f "$log" ] && tail -n 20 "$log" >&2
  fi
}
trap on_exit EXIT

step "starting bunkerd on $listen with data directory $data"
if listening; then
  echo "quickstart: something already listens on $listen; stop it or set BUNKER_LISTEN=127.0.0.1:7071" >&2
  exit 1
fi
show "bunkerd --data $data --listen $listen &"
dotnet "$bunkerd_dll" --data "$data" --listen "$listen" >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 240); do
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid" || true
    echo "quickstart: bunkerd did not start" >&2
    exit 1
  fi
  listening && break
  sleep 0.25
done
listening || { echo "quickstart: bunkerd did not listen on $listen within 60 s" >&2; exit 1; }
echo "bunkerd is running (pid $pid, log $log):"
sed 's/^/  | /' "$log"

# The first start wrote the bootstrap admin token to DATA_DIR/admin.token (0600), unless BUNKER_ADMIN_TOKEN
# gave bunkerd one; every admin command below uses it.
if [ -n "${BUNKER_ADMIN_TOKEN:-}" ]; then
  as_admin() { BUNKER_TOKEN="$BUNKER_ADMIN_TOKEN" bunker "$@"; }
  admin_token='$BUNKER_ADMIN_TOKEN'
  echo "using BUNKER_ADMIN_TOKEN as the admin token"
else
  [ -s "$data/admin.token" ] || { echo "quickstart: $data/admin.token is missing; set BUNKER_ADMIN_TOKEN to an admin token" >&2; exit 1; }
  as_admin() { BUNKER_TOKEN_FILE="$data/admin.token" bunker "$@"; }
  admin_token="$data/admin.token"
  show "export BUNKER_SERVER=$BUNKER_SERVER BUNKER_TOKEN_FILE=$admin_token"
fi

step "creating tenant demo, repository demo/main and a backup+restore token"
show "bunker hello"
as_admin hello
tenants=$(as_admin admin tenant list)
if cut -f1 <<<"$tenants" | grep -qx demo; then
  echo "tenant demo exists already"
else
  show "bunker admin tenant create demo"
  as_admin admin tenant create demo
fi
repositories=$(as_admin admin repo list --tenant demo)
if cut -f2 <<<"$repositories" | grep -qx main; then
  echo "repository demo/main exists already"
else
  show "bunker admin repo create demo/main"
  as_admin admin repo create demo/main
fi
token_file="$work/demo.token"
show "TOKEN=\$(bunker admin token create --tenant demo --role backup --role restore --repo main)"
token=$(as_admin admin token create --tenant demo --role backup --role restore --repo main --description "quickstart")
(umask 077 && printf '%s\n' "$token" >"$token_file")
unset token
echo "token saved to $token_file (0600); it is shown only once, the server keeps its hash"
show "bunker admin token list --tenant demo"
as_admin admin token list --tenant demo

step "the new token: tenant demo, roles backup and restore, scope main"
show "BUNKER_TOKEN_FILE=$token_file BUNKER_REPOSITORY=main bunker hello"
BUNKER_TOKEN_FILE="$token_file" BUNKER_REPOSITORY=main bunker hello

step "first backup and restore with the client"
export BUNKER_TOKEN_FILE="$token_file" BUNKER_REPOSITORY=main
sample="$work/sample"
mkdir -p "$sample/docs"
cp README.md "$sample/docs/"
cp -a "$root/src/Server/bin/Release/net10.0/." "$sample/bunkerd/"
show "bunker backup files $sample"
snapshot=$(bunker backup files "$sample")
echo "snapshot $snapshot"
show "bunker backup files $sample   # again: nothing changed, nothing is read or sent"
bunker backup files "$sample" >/dev/null
show "bunker snapshots"
bunker snapshots
show "bunker ls latest $sample/docs --long"
bunker ls latest "$sample/docs" --long
restore="$work/restore"
show "bunker restore $snapshot --target $restore --verify"
bunker restore "$snapshot" --target "$restore" --verify
# A snapshot keeps absolute paths, so the tree comes back below the target at its full path.
diff -r "$sample" "$restore$sample"
echo "restore verified byte-for-byte with diff -r in $restore$sample"
unset BUNKER_TOKEN_FILE BUNKER_REPOSITORY

step "stopping bunkerd with SIGTERM, then checking the repository offline"
show "kill -TERM $pid"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=""
echo "bunkerd exited with status $rc"
[ "$rc" -eq 0 ] || { echo "quickstart: bunkerd did not exit cleanly" >&2; exit 1; }
show "bunkerd --data $data --repo demo/main check --read-data"
bunkerd --data "$data" --repo demo/main check --read-data

step "done"
cat <<EOF
data directory:  $data   (master.key there: keep a copy off this machine)
admin token:     $admin_token
demo token:      $token_file
bunkerd log:     $log
restored files:  $restore
start it again:  dotnet $bunkerd_dll --data $data --listen $listen
EOF
