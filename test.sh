#!/usr/bin/env bash
# Runs every test: installs missing Debian packages, builds the whole solution (warnings are errors),
# runs every test project (the short fault-and-load run is one of them), then the fuzz smoke run (every fuzz
# target under AFL++ for 15 s). CI (.ci/run) calls exactly this.
set -euo pipefail
cd "$(dirname "$0")"
scripts/ensure-deps.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build KeyCustody.sln -c Release -nologo -v quiet
dotnet test KeyCustody.sln -c Release --no-build -nologo --logger "console;verbosity=minimal" "$@"
fuzz/smoke.sh
