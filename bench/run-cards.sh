#!/usr/bin/env bash
# Many cards and the time the daemon adds, one run: the real keycustodyd (Release) signing through the real pcscd +
# vpcd on 1, 2, 4 and 8 hw-sim cards that take a YubiKey 5's time per command, 8-32 callers spread over them, then one
# caller per card. Prints the README table (bench/README-cards.md) last; exits 1 if a target is missed. Options go to
# the benchmark: --seconds N (measured window per cell, 10), --warmup N (3), --cards 1,2,4,8, --timing yubikey5|none,
# --out FILE, --keep (keep the work directory with the daemon's log and audit log). Needs root (a private pcscd).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh
scripts/build.sh src/KeyCustody.Daemon bench/KeyCustody.Cards.Bench
scripts/build-native.sh
echo "uptime before: $(uptime)"
status=0
dotnet bench/KeyCustody.Cards.Bench/bin/Release/net10.0/KeyCustody.Cards.Bench.dll "$@" || status=$?
echo "uptime after: $(uptime)"
exit $status
