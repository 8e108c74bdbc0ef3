#!/usr/bin/env bash
# Canonicalise and sign: KeyCustody (BenchmarkDotNet) beside python-canonicaljson/python-signedjson
# (timeit), same inputs (bench/data), same run. Prints the README table; exits 1 if a target is missed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh
out=$(mktemp -d)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
scripts/build.sh bench/KeyCustody.Bench
dotnet bench/KeyCustody.Bench/bin/Release/net10.0/KeyCustody.Bench.dll \
  --filter '*MatrixBenchmarks*' --exporters json --artifacts "$out/bdn" >"$out/bdn.log"
/usr/bin/python3 bench/python_matrix.py bench/data >"$out/python.json"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(dotnet --version); $(/usr/bin/python3 --version); load average before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 bench/report_matrix.py "$out/bdn" "$out/python.json"
