#!/usr/bin/env bash
# Fuzzes one target with AFL++ for a given time: fuzz/run.sh TARGET SECONDS
#   TARGET: json | piv | hwsim | pipeline
# Builds the harness into fuzz/out/TARGET (its own artifacts path, so the tree's bin/obj are untouched),
# instruments the assemblies under test with SharpFuzz, and runs afl-fuzz on the seeds in fuzz/corpus/TARGET.
# Findings go to fuzz/findings/TARGET (kept between runs: a second run resumes). Prints the run's figures;
# exits 1 if a crash was saved, naming each crashing input and the command that replays it.
# Environment: FUZZ_NO_BUILD=1 reuses the last build; FUZZ_FRESH=1 starts from the seeds again instead of
# resuming; FUZZ_FINDINGS=DIR keeps findings in DIR/TARGET instead (smoke.sh uses its own).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
target="${1:-}"
seconds="${2:-}"
if [[ -z "$target" || ! "$seconds" =~ ^[0-9]+$ ]]; then
  echo "usage: fuzz/run.sh json|piv|hwsim|pipeline SECONDS" >&2
  exit 2
fi

# Per target: harness project, assemblies to instrument, afl-fuzz timeout per input (ms).
case "$target" in
  json) project=KeyCustody.Fuzz.Json; instrument=(KeyCustody.Matrix.dll); timeout_ms=2000 ;;
  piv) project=KeyCustody.Fuzz.Piv; instrument=(KeyCustody.Tokens.dll); timeout_ms=5000 ;;
  hwsim) project=KeyCustody.Fuzz.HwSim; instrument=(keycustody-hwsim.dll); timeout_ms=5000 ;;
  pipeline) project=KeyCustody.Fuzz.Pipeline; instrument=(keycustodyd.dll KeyCustody.Matrix.dll); timeout_ms=10000 ;;
  *) echo "fuzz/run.sh: unknown target '$target' (json, piv, hwsim, pipeline)" >&2; exit 2 ;;
esac

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
out="$here/out"
bin="$out/$target"
plain="$out/$target-plain"
tools="$out/tools"

if ! command -v afl-fuzz >/dev/null; then
  "$repo/scripts/ensure-deps.sh"
fi

if [[ ! -x "$tools/sharpfuzz" ]]; then
  dotnet tool install --tool-path "$tools" SharpFuzz.CommandLine --version 2.3.0 >/dev/null
fi

if [[ "${FUZZ_NO_BUILD:-0}" != 1 || ! -f "$bin/$project.dll" || ! -f "$plain/$project.dll" ]]; then
  # A fresh copy every time: instrumenting an already instrumented assembly fails. The plain copy replays
  # inputs (instrumented code only runs under afl-fuzz: outside it there is no coverage map to write to).
  rm -rf "$bin" "$plain"
  mkdir -p "$out"
  if ! dotnet publish "$here/$project" -c Release -o "$bin" --artifacts-path "$out/artifacts" -nologo -v quiet >"$out/$target-build.log" 2>&1; then
    # The build's own words: without them a failed build ended the smoke run with only "FAILED: $target".
    echo "fuzz: building $project failed ($out/$target-build.log):" >&2
    grep -E ': (error|warning) ' "$out/$target-build.log" | sort -u >&2 || cat "$out/$target-build.log" >&2
    exit 1
  fi
  cp -r "$bin" "$plain"
  for dll in "${instrument[@]}"; do
    "$tools/sharpfuzz" "$bin/$dll" >/dev/null
  done
fi

findings="${FUZZ_FINDINGS:-$here/findings}/$target"
if [[ "${FUZZ_FRESH:-0}" == 1 ]]; then
  rm -rf "$findings"
fi
mkdir -p "$findings"
input="$here/corpus/$target"  # with AFL_AUTORESUME, an existing findings directory is resumed instead

# Containers and CI: no CPU governor to set, a core_pattern AFL++ cannot change, cores shared with others,
# and a target that is `dotnet` (not an AFL-instrumented binary). Temp files of the pipeline harness on tmpfs.
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 AFL_SKIP_BIN_CHECK=1
export AFL_NO_UI=1 AFL_FORKSRV_INIT_TMOUT=60000 AFL_AUTORESUME=1
if [[ -d /dev/shm && -w /dev/shm ]]; then
  export TMPDIR=/dev/shm
fi

log="$findings/afl.log"
echo "fuzz: $target for ${seconds}s (log: $log)"
set +e
nice -n 10 afl-fuzz -i "$input" -o "$findings" -t "$timeout_ms" -m none -V "$seconds" -- dotnet "$bin/$project.dll" >"$log" 2>&1
rc=$?
set -e
stats="$findings/default/fuzzer_stats"
if [[ ! -f "$stats" ]]; then
  echo "fuzz: afl-fuzz did not start (exit $rc); the end of its log:" >&2
  tail -n 25 "$log" >&2
  exit 1
fi

stat() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
echo "fuzz: $target: $(stat run_time)s of fuzzing in this findings directory, $(stat execs_done) executions ($(stat execs_per_sec)/s)," \
  "corpus $(stat corpus_count), crashes $(stat saved_crashes), hangs $(stat saved_hangs), stability $(stat stability)"

mapfile -t crashes < <(find "$findings/default/crashes" -type f -name 'id:*' 2>/dev/null | sort)
mapfile -t hangs < <(find "$findings/default/hangs" -type f -name 'id:*' 2>/dev/null | sort)
for h in "${hangs[@]}"; do
  echo "fuzz: $target: input that timed out under afl-fuzz (${timeout_ms} ms): $h"
  echo "      replay: dotnet $plain/$project.dll replay '$h'"
done
if ((${#crashes[@]} > 0)); then
  for c in "${crashes[@]}"; do
    echo "fuzz: $target: CRASH saved in $c"
  done
  echo "fuzz: replay them (each failure is printed with its exception): dotnet $plain/$project.dll replay $findings/default/crashes"
  dotnet "$plain/$project.dll" replay "$findings/default/crashes" | head -n 60 || true
  exit 1
fi
if ((rc != 0)); then
  echo "fuzz: afl-fuzz exited with $rc; the end of its log:" >&2
  tail -n 25 "$log" >&2
  exit 1
fi
