#!/usr/bin/env bash
# Compiles keycustodyd ahead of time (Native AOT) into src/KeyCustody.Daemon/bin/CONFIGURATION/native/keycustodyd
# (CONFIGURATION: the first argument, Release when none): the daemon
# as it ships (scripts/install.sh and the Debian package publish the same way), and the one the tests, the quick start
# and the benchmarks run. One native executable: no JIT, no framework assemblies to map, about half the memory of
# `dotnet keycustodyd.dll` (bench/README-daemon.md). Needs clang and zlib1g-dev (scripts/ensure-deps.sh installs them).
# Silent when it succeeds; about a minute on two cores. Run from the repository's root, like the scripts that call it.
set -euo pipefail
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
case $(uname -m) in
x86_64) rid=linux-x64 ;;
aarch64) rid=linux-arm64 ;;
*) echo "error: no Native AOT build for $(uname -m) here (linux-x64 and linux-arm64 only)" >&2; exit 2 ;;
esac
configuration=${1:-Release}
[[ $configuration =~ ^(Release|Debug)$ ]] || { echo "error: the configuration is Release or Debug, not '$configuration'" >&2; exit 2; }
out=src/KeyCustody.Daemon/bin/$configuration/native
dotnet msbuild src/KeyCustody.Daemon -restore -t:Publish -p:Configuration="$configuration" -p:RuntimeIdentifier=$rid -p:SelfContained=true \
  -p:PublishDir="$PWD/$out/" -nologo -v:quiet
