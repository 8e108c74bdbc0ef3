#!/usr/bin/env bash
# Token throughput, all rows from one run: SoftHSM2 through our PKCS#11 backend (pools of 1 and 2) beside raw
# Pkcs11Interop C_Sign, and Ed25519 through hw-sim in-process and through a private pcscd + vpcd: PIV (a 5.7) and
# OpenPGP (a 5.4.3's signature key) side by side. `--filter '*Pcscd*'` runs only the rows through pcscd.
# Needs root (the private pcscd runs in its own mount namespace). Prints the README table last.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/ensure-deps.sh
out=$(mktemp -d)
scripts/build.sh bench/KeyCustody.Tokens.Bench
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg); $(dotnet --version); softhsm2 $(dpkg-query -W -f='${Version}' softhsm2); pcscd $(dpkg-query -W -f='${Version}' pcscd); libssl3 $(dpkg-query -W -f='${Version}' libssl3)"
dotnet bench/KeyCustody.Tokens.Bench/bin/Release/net10.0/KeyCustody.Tokens.Bench.dll --artifacts "$out" "$@" >"$out/bdn.log" 2>&1 \
  || { tail -40 "$out/bdn.log"; exit 1; }
sed -n '/^machine: /,$p' "$out/bdn.log"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
