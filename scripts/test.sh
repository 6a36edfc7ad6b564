#!/usr/bin/env bash
# The test command: sets up what is missing, then builds and runs every test project.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
dotnet build Repository.sln -c Release -nologo -v quiet
dotnet test Repository.sln -c Release --no-build -nologo -v quiet
