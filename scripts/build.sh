#!/usr/bin/env bash
# Builds (Release) each project or solution given, one after the other, silent when it succeeds: errors and warnings
# show, the "Build succeeded. 0 Warning(s) 0 Error(s) Time Elapsed" block does not. `dotnet build` appends
# -clp:Summary after the caller's own arguments, so -clp:NoSummary cannot remove that block; `dotnet msbuild -restore`
# is the same restore and build without it. Run from the repository's root, like the scripts that call it.
set -euo pipefail
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
for project in "$@"; do
  dotnet msbuild "$project" -restore -p:Configuration=Release -nologo -v:quiet
done
