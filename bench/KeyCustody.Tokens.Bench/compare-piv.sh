#!/usr/bin/env bash
# PIV signatures/s through a private pcscd + vpcd (hw-sim), before and after the lean PIV client, in one run: the
# bench of an older commit (default: the one before "PIV client as lean as Yubico's") is exported with git archive and
# built beside this tree's, and the two run in turn, ROUNDS times each (default 2), on the same machine minutes apart.
# Usage: sudo bench/KeyCustody.Tokens.Bench/compare-piv.sh [BEFORE_COMMIT] [ROUNDS]
# Needs root (the private pcscd runs in its own mount namespace). Prints one line per run and the means last.
set -euo pipefail
cd "$(dirname "$0")/../.."
before=${1:-$(git log -1 --format=%H --grep='^PIV client as lean as Yubico')^}
rounds=${2:-2}
before=$(git rev-parse --short "$before")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git archive "$before" | tar -x -C "$work"
dotnet build "$work/bench/KeyCustody.Tokens.Bench" -c Release -nologo -v quiet >/dev/null
dotnet build bench/KeyCustody.Tokens.Bench -c Release -nologo -v quiet >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg); $(dotnet --version); pcscd $(dpkg-query -W -f='${Version}' pcscd); vpcd $(dpkg-query -W -f='${Version}' vsmartcard-vpcd)"
row() {  # $1 label, $2 tree: one BenchmarkDotNet run of the pcscd + vpcd row, its signatures/s
  local log="$work/$1-$RANDOM.log"
  dotnet "$2/bench/KeyCustody.Tokens.Bench/bin/Release/net10.0/KeyCustody.Tokens.Bench.dll" --artifacts "$work/artifacts" \
    --filter '*HwSimThroughPcscdVpcd*' >"$log" 2>&1 || { tail -40 "$log"; exit 1; }
  grep -F '| KeyCustody PIV, hw-sim via pcscd + vpcd |' "$log" | awk -F'|' '{gsub(/[ ,]/, "", $3); print $3}'
}
declare -a old new
for ((i = 1; i <= rounds; i++)); do
  old+=("$(row before "$work")"); echo "before ($before), round $i: ${old[-1]} signatures/s"
  new+=("$(row after .)"); echo "after ($(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo '+changes')), round $i: ${new[-1]} signatures/s"
done
mean() { printf '%s\n' "$@" | awk '{s += $1} END {printf "%.0f", s / NR}'; }
echo "| KeyCustody PIV, hw-sim via pcscd + vpcd (300-byte message, PIN never) | before $before: $(mean "${old[@]}")/s | after: $(mean "${new[@]}")/s | ratio $(awk -v a="$(mean "${new[@]}")" -v b="$(mean "${old[@]}")" 'BEGIN {printf "%.2f", a / b}') |"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
