#!/usr/bin/env bash
# Compiles keycustodyd ahead of time (Native AOT) into src/KeyCustody.Daemon/bin/CONFIGURATION/native/keycustodyd
# (CONFIGURATION: the first argument, Release when none): the daemon as it ships (scripts/install.sh and the Debian
# package install this one), and the one the tests, the quick start and the benchmarks run. One native executable
# beside libsodium.so: no JIT, no framework assemblies to map, about half the memory of `dotnet keycustodyd.dll`
# (bench/README-daemon.md). Needs clang and zlib1g-dev (installed here when missing, as scripts/ensure-deps.sh does).
# The compiler works in artifacts/native/ (its own restore and intermediate files, so that it and `dotnet build` do
# not undo each other's and a run with nothing changed takes seconds); its debug symbols stay there
# (artifacts/native/publish/.../keycustodyd.dbg). Silent when it succeeds; a minute or two on two cores the first
# time. Run from the repository's root, like the scripts that call it.
set -euo pipefail
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
"$(dirname "$0")/ensure-deps.sh"
case $(uname -m) in
x86_64) rid=linux-x64 ;;
aarch64) rid=linux-arm64 ;;
*) echo "error: no Native AOT build for $(uname -m) here (linux-x64 and linux-arm64 only)" >&2; exit 2 ;;
esac
configuration=${1:-Release}
[[ $configuration =~ ^(Release|Debug)$ ]] || { echo "error: the configuration is Release or Debug, not '$configuration'" >&2; exit 2; }
artifacts=$PWD/artifacts/native
publish=$artifacts/publish/$configuration
dotnet msbuild src/KeyCustody.Daemon -restore -t:Publish -p:Configuration="$configuration" -p:RuntimeIdentifier=$rid \
  -p:SelfContained=true -p:UseArtifactsOutput=true -p:ArtifactsPath="$artifacts" -p:PublishDir="$publish/" -nologo -v:quiet
# What runs: the executable and the native libraries it loads from its own directory (libsodium for Ed25519).
out=src/KeyCustody.Daemon/bin/$configuration/native
mkdir -p "$out"
rm -f "$out"/*
cp "$publish/keycustodyd" "$out/"
find "$publish" -maxdepth 1 -name '*.so' -exec cp {} "$out/" \;
