#!/usr/bin/env bash
# The CI smoke run: every fuzz target under AFL++ for a few seconds each (about a minute of fuzzing in all,
# plus building and instrumenting), from the seeds, in fuzz/findings/smoke (started afresh every time).
# Exits 1 if any target crashed; run.sh prints where each crashing input was saved and how to replay it.
# FUZZ_SMOKE_SECONDS overrides the time per target (default 15).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
seconds="${FUZZ_SMOKE_SECONDS:-15}"
failed=()
for target in json piv hwsim pipeline; do
  if ! FUZZ_FRESH=1 FUZZ_FINDINGS="$here/findings/smoke" "$here/run.sh" "$target" "$seconds"; then
    failed+=("$target")
  fi
done
if ((${#failed[@]} > 0)); then
  echo "fuzz smoke: FAILED: ${failed[*]} (crashing inputs are listed above, under $here/findings/smoke)" >&2
  exit 1
fi
echo "fuzz smoke: 4 targets fuzzed for ${seconds}s each, no crash"
