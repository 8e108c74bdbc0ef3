#!/usr/bin/env bash
# Installs the Debian packages listed in scripts/debian-packages.txt that are missing.
# As root it uses apt-get; otherwise sudo -n if allowed; otherwise it says exactly what to run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$here/debian-packages.txt" | grep -v '^$')

missing=()
for pkg in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "ensure-deps: installing missing Debian packages: ${missing[*]}" >&2
if [[ $(id -u) -eq 0 ]]; then
  run=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  run=(sudo -n)
else
  echo "error: missing Debian packages: ${missing[*]}" >&2
  echo "error: run as root, or install them first: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if ! "${run[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/keycustody-apt.log 2>&1; then
  # A fresh machine often has empty package lists: refresh them once and retry.
  "${run[@]}" apt-get update >>/tmp/keycustody-apt.log 2>&1 || true
  if ! "${run[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >>/tmp/keycustody-apt.log 2>&1; then
    echo "error: apt-get could not install: ${missing[*]} (log: /tmp/keycustody-apt.log)" >&2
    tail -n 5 /tmp/keycustody-apt.log >&2
    exit 1
  fi
fi
