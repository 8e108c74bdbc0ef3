#!/usr/bin/env bash
# The main job on the embedded default: keycustodyd on an in-process simulated YubiKey 5.7 (hw-sim,
# automatic touch), driven by the keycustody CLI over the daemon's Unix socket: the demo identity's
# keys, signing a device with the self-signing key (the touch prompt is shown), verification, a policy
# refusal, the upload body, the audit chain.
set -euo pipefail
cd "$(dirname "$0")"
scripts/ensure-deps.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build src/KeyCustody.Daemon -c Release -nologo -v quiet
dotnet build src/KeyCustody.Cli -c Release -nologo -v quiet

state=$(mktemp -d /tmp/keycustody-demo-XXXXXX)
socket="$state/keycustodyd.sock"
dotnet src/KeyCustody.Daemon/bin/Release/net10.0/keycustodyd.dll --simulator --state-dir "$state" >"$state/daemon.log" 2>&1 &
daemon=$!
trap 'kill $daemon 2>/dev/null; wait $daemon 2>/dev/null || true' EXIT
kc() { dotnet src/KeyCustody.Cli/bin/Release/net10.0/keycustody.dll "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

for _ in $(seq 1 300); do [[ -S "$socket" ]] && kc --socket "$socket" keys list >/dev/null 2>&1 && break; sleep 0.1; done
step "keycustodyd --simulator is up (log: $state/daemon.log)"
grep -E "SIMULATOR|generated|signed the|Listening" "$state/daemon.log" | sed 's/^/  /'

step "the keys of @demo:localhost (on the simulated YubiKey, serial 10000001)"
kc --socket "$socket" keys list
kc --socket "$socket" status

step "a device of @demo:localhost, self-signed by its own device key (development seed)"
device='{"user_id":"@demo:localhost","device_id":"DEMOPHONE","algorithms":["m.olm.v1.curve25519-aes-sha2","m.megolm.v1.aes-sha2"],"keys":{"curve25519:DEMOPHONE":"3C5BFWi2Y8MaVvjM8M22DBmh24PmgR0nPvJOIArzgyI","ed25519:DEMOPHONE":"aXceGe19ufgBArmAjKeIPEEk0eaA4c3yIB6WjkjvYNE"}}'
echo "$device" | kc json sign --seed ZGV2aWNlMTJkZXZpY2UxMmRldmljZTEyZGV2aWNlMTI --entity @demo:localhost --key-name DEMOPHONE >"$state/device.json"
cat "$state/device.json"

step "the daemon signs it with the self-signing key (watch for the touch prompt)"
kc --socket "$socket" sign --key demo-ssk "$state/device.json" | tee "$state/device-signed.json"

step "verify the cross-signature with the CLI"
ssk=$(kc --socket "$socket" keys list | awk '$1=="demo-ssk"{print $4}')
kc json verify --public-key "$ssk" --entity @demo:localhost --key-name "$ssk" "$state/device-signed.json"

step "policy: the user-signing key must not sign the user's own device"
kc --socket "$socket" sign --key demo-usk "$state/device.json" || echo "(exit $?: refused before the token was asked)"

step "the /keys/device_signing/upload body (master key, and the self-signing and user-signing keys it signed)"
kc --socket "$socket" keys public --user @demo:localhost

step "the audit log: hash chain checked"
kc audit verify "$state/audit.jsonl"
