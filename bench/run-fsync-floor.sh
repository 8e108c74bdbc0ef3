#!/usr/bin/env bash
# What the disk under the daemon's state directory allows a write-ahead log: commits/s and the wait of each, one and
# several threads, appending with fsync (the audit log's way) and overwriting a preallocated file with fdatasync (the
# fastest durable commit here), and appending into fallocate'd space. A few seconds. Usage: bench/run-fsync-floor.sh [DIR [COMMITS_PER_THREAD]] (DIR: a
# directory on the filesystem to measure, default /var/tmp, the same filesystem as the benches' state directories
# here; COMMITS_PER_THREAD: 2000). bench/README-daemon.md, "The seventh session", says what it showed.
set -euo pipefail
case ${1:-} in -h | --help) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac
dir=${1:-/var/tmp}
commits=${2:-2000}
[[ -d $dir && -w $dir ]] || { echo "error: $dir is not a directory this user can write to" >&2; exit 2; }
[[ $commits =~ ^[1-9][0-9]*$ ]] || { echo "error: COMMITS_PER_THREAD is a positive whole number, not '$commits'" >&2; exit 2; }
dir=$(cd "$dir" && pwd)
cd "$(dirname "$0")"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
command -v cc > /dev/null || { echo "error: no C compiler (cc): apt-get install gcc, or clang" >&2; exit 2; }
cc -O2 -pthread -o "$out/fsync_floor" fsync-floor/fsync_floor.c
echo "filesystem of $dir: $(df -T "$dir" | awk 'NR==2 {print $2}'); uptime: $(uptime)"
"$out/fsync_floor" "$dir" "$commits"
