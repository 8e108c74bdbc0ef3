#!/usr/bin/env bash
# What the disk under the daemon's state directory allows a write-ahead log: commits/s and the wait of each, one and
# several threads, appending with fsync (the audit log's way) and overwriting a preallocated file with fdatasync (the
# fastest durable commit here). About 10 seconds. Usage: bench/run-fsync-floor.sh [DIR] (default: /var/tmp, on the
# same filesystem as the state directories of the benches here). bench/README-daemon.md, "The seventh session".
set -euo pipefail
cd "$(dirname "$0")"
dir=${1:-/var/tmp}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
command -v cc > /dev/null || { echo "error: no C compiler (cc): apt-get install gcc, or clang" >&2; exit 2; }
cc -O2 -pthread -o "$out/fsync_floor" fsync-floor/fsync_floor.c
echo "filesystem of $dir: $(df -T "$dir" | awk 'NR==2 {print $2}'); uptime: $(uptime)"
"$out/fsync_floor" "$dir"
