#!/usr/bin/env bash
# keycustodyd under load, one run: python-signedjson in-process (the yardstick), then the real daemon (Release)
# over its Unix socket with 1, 8 and 32 clients on the software token, SoftHSM2 and an in-process hw-sim card,
# batches of 1,000 device keys, and the daemon's memory. Prints the README table last; exits 1 if a target is
# missed. Options go to the benchmark: --memory (the daemon's memory alone, about 3 minutes; bench/README-daemon.md),
# --allocation --daemon src/KeyCustody.Daemon/bin/Release/net10.0/keycustodyd.dll (the bytes the daemon allocates per
# object in batches, one client, about a minute; the JIT-compiled daemon: bench/README-daemon.md),
# --seconds N (measured window per cell, 5), --warmup N (2), --out FILE,
# --keep (keep the temporary directory with the daemon's log and audit log), --keys soft-ssk,hsm-ssk,sim-ssk (only
# these tokens, for profiling; the README's table is all three). The same run measures what the machine allows: a
# call that signs nothing, the Ed25519 work per object alone, the clients' CPU, fsync latency beside the load.
# KEYCUSTODY_BENCH_SOFTHSM_MODULE=PATH: the SoftHSM2 token on another build of the module (default: the system's;
# bench/README-daemon.md, "The sixth session").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh
scripts/build.sh src/KeyCustody.Daemon bench/KeyCustody.Daemon.Bench
scripts/build-native.sh
echo "uptime before: $(uptime)"
status=0
dotnet bench/KeyCustody.Daemon.Bench/bin/Release/net10.0/KeyCustody.Daemon.Bench.dll "$@" || status=$?
echo "uptime after: $(uptime)"
exit $status
