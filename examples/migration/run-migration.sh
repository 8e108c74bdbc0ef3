#!/usr/bin/env bash
# ./run.sh's homeserver step, kept apart: starts keycustody-homeserver-sim (a simulator, not a homeserver) from
# premade-identity.json, publishes the demo identity to it and uploads the demo device's cross-signature, then migrates
# @alice:localhost's identity (left by Element, its private keys in secret storage) onto three more simulated YubiKeys
# of a second keycustodyd, erasing the software copies from secret storage.
# Usage (from run.sh): examples/migration/run-migration.sh DEMO_SOCKET STATE_DIR SIGNED_DEVICE_JSON
set -euo pipefail
if (($# != 3)); then
    echo "usage: $0 DEMO_SOCKET STATE_DIR SIGNED_DEVICE_JSON (./run.sh runs it: the demo keycustodyd's socket, a state directory, the demo device's signed keys)" >&2
    exit 2
fi
cd "$(dirname "$0")/../.."
demo_socket=$1 state=$2/homeserver device=$3
mkdir -m 700 -p "$state"
kc() { dotnet src/KeyCustody.Cli/bin/Release/net10.0/keycustody.dll "$@"; }
# Bold headings on a terminal only: no escape codes in a pipe or a log file (nor with NO_COLOR set), as run.sh's.
if [[ -t 1 && -z "${NO_COLOR:-}" ]]; then
  step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
  step() { printf '\n== %s\n' "$*"; }
fi
secret() { (umask 077; printf '%s' "$2" >"$state/$1"); echo "$state/$1"; }
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null || true; done' EXIT

# The demo device, as it would have uploaded itself, joins the pre-made state.
printf '{"device_keys":[%s]}' "$(cat "$device")" >"$state/demo-device.json"
dotnet homeserver-sim/KeyCustody.HomeserverSim/bin/Release/net10.0/keycustody-homeserver-sim.dll \
  --preload examples/migration/premade-identity.json --preload "$state/demo-device.json" >"$state/homeserver-sim.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do grep -q "listening on" "$state/homeserver-sim.log" && break; sleep 0.1; done
url=$(awk '/listening on/{print $4}' "$state/homeserver-sim.log")
step "keycustody-homeserver-sim at $url: publish @demo:localhost's keys, upload the device's cross-signature"
head -n 1 "$state/homeserver-sim.log" | sed 's/^/  /'
kc --socket "$demo_socket" publish --homeserver "$url" --access-token-file "$(secret demo-token demo-token)" --user @demo:localhost
kc --socket "$demo_socket" cross-sign device --key demo-ssk "$device" --upload --homeserver "$url" --access-token-file "$state/demo-token"

step "migrate @alice:localhost from secret storage onto a second keycustodyd (master and its backup on two cards, the signing keys on a third)"
d2=$state/keycustodyd
mkdir -m 700 -p "$d2"
pin=$(secret pin 123456) mgm=$(secret mgm 010203040506070801020304050607080102030405060708)
card() { printf '{"name":"%s","kind":"simulator","serial":%s,"touch":"auto","touchDelayMs":300,"demoKeys":false,"stateFile":"%s","pin":{"file":"%s"},"managementKey":{"file":"%s"}}' "$1" "$2" "$d2/$1.card.json" "$pin" "$mgm"; }
key() { printf '{"name":"%s","token":"%s","keyId":"%s","role":"%s","owner":"@alice:localhost"%s}' "$@"; }
(umask 077; cat >"$state/keycustodyd.json" <<JSON
{"stateDirectory":"$d2","listen":{"unixSocket":"$d2/keycustodyd.sock","socketMode":"0600"},
 "tokens":[$(card yk-master 20000001),$(card yk-backup 20000002),$(card yk-daily 20000003)],
 "keys":[$(key alice-master yk-master 9c master ''),$(key alice-master-backup yk-backup 9c master ',"backupOf":"alice-master"'),$(key alice-ssk yk-daily 9a self_signing ''),$(key alice-usk yk-daily 9d user_signing '')],
 "access":[{"principal":"uid:$(id -u)","keys":["*"],"operations":["sign","approve","admin"]}]}
JSON
)
src/KeyCustody.Daemon/bin/Release/native/keycustodyd --config "$state/keycustodyd.json" >"$d2/daemon.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do [[ -S "$d2/keycustodyd.sock" ]] && kc --socket "$d2/keycustodyd.sock" status >/dev/null 2>&1 && break; sleep 0.1; done
dotnet hw-sim/KeyCustody.HwSim/bin/Release/net10.0/keycustody-hwsim.dll root-cert --root "$d2/simulator-root.json" >"$d2/simulator-root.pem"
echo "  the recovery key Element showed Alice: $(cat examples/migration/recovery-key.txt)"
kc --socket "$d2/keycustodyd.sock" migrate --user @alice:localhost --homeserver "$url" \
  --access-token-file "$(secret alice-token alice-phone-token)" --password-file "$(secret alice-password "alice's password")" \
  --recovery-key-file "$(secret recovery-key "$(cat examples/migration/recovery-key.txt)")" \
  --attestation-root "$d2/simulator-root.pem" --erase-from-secret-storage
kc --socket "$d2/keycustodyd.sock" keys list
