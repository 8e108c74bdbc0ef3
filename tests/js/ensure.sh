#!/usr/bin/env bash
# Installs Element's SDKs pinned in package-lock.json (matrix-js-sdk, matrix-sdk-crypto-wasm) into tests/js/node_modules
# with `npm ci`, when they are missing or older than the lock file. ./test.sh runs it; so does the acceptance test
# (tests/KeyCustody.Daemon.Tests/Migration/ReferenceSdkAcceptanceTests.cs) when run on its own.
set -euo pipefail
cd "$(dirname "$0")"
for tool in node npm; do
  command -v "$tool" >/dev/null 2>&1 || { echo "error: $tool is not installed; the reference-SDK tests (tests/js) need Node.js 20 or later with npm" >&2; exit 1; }
done
stamp=node_modules/.package-lock.json
if [[ -f $stamp && ! package-lock.json -nt $stamp ]]; then
  exit 0
fi
echo "tests/js: npm ci (matrix-js-sdk, matrix-sdk-crypto-wasm, pinned by package-lock.json)" >&2
if ! npm ci --no-audit --no-fund >npm-ci.log 2>&1; then
  echo "error: npm ci in tests/js failed; the npm registry must be reachable to install Element's SDKs for the migration tests (log: tests/js/npm-ci.log):" >&2
  tail -n 5 npm-ci.log >&2
  exit 1
fi
rm -f npm-ci.log
