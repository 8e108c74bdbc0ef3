#!/usr/bin/env bash
# Runs every test: installs missing Debian packages, builds the whole solution (warnings are errors),
# runs every test project (the short fault-and-load run is one of them), then the fuzz smoke run (every fuzz
# target under AFL++ for 15 s). CI (.ci/run) calls exactly this.
set -euo pipefail
cd "$(dirname "$0")"
scripts/ensure-deps.sh
# Element's SDKs (matrix-js-sdk, matrix-sdk-crypto-wasm), pinned by tests/js/package-lock.json, judge the migration tests.
tests/js/ensure.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
scripts/build.sh KeyCustody.sln
# The daemon the tests start is the one that ships: compiled ahead of time (Native AOT).
scripts/build-native.sh
# A test that makes no progress for 10 minutes (the longest, the short fault run, takes about 1) is a hang: the test
# host is stopped and the run fails naming the test, instead of waiting for CI's time limit.
dotnet test KeyCustody.sln -c Release --no-build -nologo --logger "console;verbosity=minimal" \
    --blame-hang-timeout 10m --blame-hang-dump-type none "$@"
fuzz/smoke.sh
