#!/usr/bin/env bash
# The main job on the embedded default: keycustodyd on two in-process simulated YubiKeys 5.7 (hw-sim,
# automatic touch), driven by the keycustody CLI over the daemon's Unix socket. It provisions the
# cross-signing identity of @demo:localhost (keys generated on the cards, attestations checked against
# the simulator's root, the master key signing the other two), has the self-signing key sign a device
# (the simulated touch is shown), verifies it, shows a policy refusal, prints the upload bodies and
# checks the audit chain; then publishes to keycustody-homeserver-sim and migrates a pre-made Element identity from
# secret storage (examples/migration/run-migration.sh). It says how long it took.
set -euo pipefail
cd "$(dirname "$0")"
started=$(date +%s)
scripts/ensure-deps.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Bold headings on a terminal only: no escape codes in a pipe or a log file (nor with NO_COLOR set).
if [[ -t 1 && -z "${NO_COLOR:-}" ]]; then
  step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
  step() { printf '\n== %s\n' "$*"; }
fi
step "building keycustodyd (compiled to native code, as it ships), the CLI and the homeserver simulator (the first time takes a few minutes, later runs seconds unless the code changed; silent when all is well)"
scripts/build.sh src/KeyCustody.Daemon src/KeyCustody.Cli homeserver-sim/KeyCustody.HomeserverSim
scripts/build-native.sh
built=$(date +%s)

state=$(mktemp -d /tmp/keycustody-demo-XXXXXX)
socket="$state/keycustodyd.sock"
src/KeyCustody.Daemon/bin/Release/native/keycustodyd --simulator --no-demo-keys --state-dir "$state" >"$state/daemon.log" 2>&1 &
daemon=$!
trap 'kill $daemon 2>/dev/null; wait $daemon 2>/dev/null || true' EXIT
kc() { dotnet src/KeyCustody.Cli/bin/Release/net10.0/keycustody.dll "$@"; }

for _ in $(seq 1 300); do [[ -S "$socket" ]] && kc --socket "$socket" status >/dev/null 2>&1 && break; sleep 0.1; done
step "keycustodyd --simulator is up: two blank simulated YubiKeys (log: $state/daemon.log)"
grep -E "SIMULATOR|Listening" "$state/daemon.log" | sed 's/^/  /'
echo "  The simulated cards touch themselves (touch: auto): the touch prompts below are shown, nobody needs to touch."
kc --socket "$socket" status

step "provision @demo:localhost: master alone on card 10000001, self-signing and user-signing on card 10000002"
dotnet hw-sim/KeyCustody.HwSim/bin/Release/net10.0/keycustody-hwsim.dll root-cert --root "$state/simulator-root.json" >"$state/simulator-root.pem"
kc --socket "$socket" provision --user @demo:localhost --attestation-root "$state/simulator-root.pem" --out "$state/provisioned"
kc --socket "$socket" keys list

step "a device of @demo:localhost, self-signed by its own device key (a development seed: keycustody dev device)"
kc dev device --user @demo:localhost --device-id DEMOPHONE --seed ZGV2aWNlMTJkZXZpY2UxMmRldmljZTEyZGV2aWNlMTI >"$state/device.json"
cat "$state/device.json"

step "the daemon cross-signs it with the self-signing key (the simulated touch prompt is shown)"
kc --socket "$socket" cross-sign device --key demo-ssk "$state/device.json" | tee "$state/signatures-upload.json"

step "verify the cross-signature with the CLI"
ssk=$(kc --socket "$socket" keys list | awk '$1=="demo-ssk"{print $4}')
/usr/bin/python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); print(json.dumps(b["@demo:localhost"]["DEMOPHONE"]))' "$state/signatures-upload.json" >"$state/device-signed.json"
kc json verify --public-key "$ssk" --entity @demo:localhost --key-name "$ssk" "$state/device-signed.json"

step "policy: the user-signing key must not sign the user's own device"
kc --socket "$socket" sign --key demo-usk "$state/device.json" || echo "(exit $?: refused before the token was asked)"

step "the upload bodies: /keys/device_signing/upload, then /keys/signatures/upload"
cat "$state/provisioned/device-signing-upload.json"; echo
cat "$state/signatures-upload.json"

# The homeserver simulator: publishing there, and migrating a pre-made identity from secret storage (its own script).
examples/migration/run-migration.sh "$socket" "$state" "$state/device.json"

step "the audit logs: hash chains checked (this demo's daemon, then the migration's)"
kc audit verify "$state/audit.jsonl"
for log in "$state"/*/keycustodyd/audit.jsonl; do
  [[ -f "$log" ]] && kc audit verify "$log"
done

finished=$(date +%s)
step "done in $((finished - started)) s ($((built - started)) s building, $((finished - built)) s running); everything is in $state"
# Printed for pasting: every path shell-quoted (a checkout or /tmp directory whose name has a quote or a $ stays a name).
q_state=$(printf %q "$state")
q_daemon=$(printf %q "$PWD/src/KeyCustody.Daemon/bin/Release/native/keycustodyd")
q_alias=$(printf %q "dotnet $(printf %q "$PWD/src/KeyCustody.Cli/bin/Release/net10.0/keycustody.dll")")
cat <<NEXT
Nothing is left running: this script stopped its keycustodyd, and the migration step its own keycustodyd and
keycustody-homeserver-sim. What they made stays in $state: the cards (*.card.json), the audit log
(audit.jsonl; the migration's in homeserver/keycustodyd/), daemon.log, provisioned/, device.json.
To go on by hand with these cards and keys (README, "The keycustody command"), in one shell:
  $q_daemon --simulator --no-demo-keys --state-dir $q_state >>$q_state/daemon.log 2>&1 &
  alias keycustody=$q_alias
  export KEYCUSTODY_SOCKET=$q_state/keycustodyd.sock   # the daemon above (or give --socket to each command)
  for i in \$(seq 100); do keycustody status >/dev/null 2>&1 && break; sleep 0.1; done   # until it serves
  keycustody status                                   # the two simulated YubiKeys
  keycustody keys list                                # demo-master, demo-ssk, demo-usk: role, owner, public key, policy
  keycustody cross-sign device --key demo-ssk $q_state/device.json   # sign the demo device again (the touch is simulated)
  keycustody audit verify $q_state/audit.jsonl          # the hash chain of every request, these included
  keycustody --help                                   # every command (sign, pending, approve, provision, publish, migrate...)
  kill %%                                             # stop the daemon (SIGTERM: it closes the audit log cleanly)
  unset KEYCUSTODY_SOCKET; unalias keycustody         # before the directory goes: once it is removed, whoever makes
                                                      # that path again in /tmp would get this shell's requests
Each run keeps its own /tmp/keycustody-demo-* directory; remove it when done (after the unset above): rm -r $q_state
NEXT
