#!/usr/bin/env bash
# The long fault-and-load run: the CI test FaultLoadTests (tests/KeyCustody.Daemon.Tests/FaultLoad) for longer.
# Real pcscd + vpcd with two keycustody-hwsim cards, SoftHSM2, keycustodyd over its Unix socket and mutual TLS;
# signers, a restricted TLS client, a policy-refused caller and an operator; faults at random (cards pulled,
# touches that never come, pcscd killed, the HSM token gone or replaced, the daemon SIGKILLed, clients cancelling
# and hanging up). Then every signature, entitlement, the audit chain, intents/outcomes, log lines, memory and
# descriptors are checked. Prints the README table and exits 1 on any violation.
#   bench/run-faults.sh [SECONDS [SIGNERS [SEED]]]     (defaults: 1200 s, 6 signers, a random seed)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-1200}"
signers="${2:-6}"
scripts/ensure-deps.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
scripts/build.sh tests/KeyCustody.Daemon.Tests
report="$(mktemp /tmp/keycustody-faults-XXXXXX.md)"
export KEYCUSTODY_FAULT_SECONDS="$seconds" KEYCUSTODY_FAULT_SIGNERS="$signers" KEYCUSTODY_FAULT_REPORT="$report"
if [[ -n "${3:-}" ]]; then
  export KEYCUSTODY_FAULT_SEED="$3"
fi
echo "fault run: ${seconds}s, ${signers} signers; uptime before: $(uptime)"
status=0
dotnet test tests/KeyCustody.Daemon.Tests -c Release --no-build -nologo \
  --filter "FullyQualifiedName~FaultLoad.FaultLoadTests" --logger "console;verbosity=normal" || status=$?
echo "uptime after: $(uptime)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
cat "$report"
exit $status
