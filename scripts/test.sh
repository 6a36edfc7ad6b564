#!/usr/bin/env bash
# The test command: sets up what is missing, then builds and runs every test project.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The interop tests drive our server with Node's @grpc/grpc-js; install it from the lock file.
[ -d tests/interop/node_modules ] || (cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)
# The pack store tests run s3rver as their S3-compatible server (two of them for the fallback); same, from its lock file.
[ -d tests/s3/node_modules ] || (cd tests/s3 && npm ci --no-audit --no-fund --loglevel=error)
dotnet build Repository.sln -c Release -nologo -v quiet
dotnet test Repository.sln -c Release --no-build -nologo -v quiet
