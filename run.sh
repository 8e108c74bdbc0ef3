#!/usr/bin/env bash
# The main job on the embedded default. Until the daemon lands (issue: keycustodyd), this shows the
# Matrix core through the CLI: canonical JSON, refusals, signing the spec vector, verification,
# cross-signing a device with a self-signing key, and the MSC1756 trust check.
set -euo pipefail
cd "$(dirname "$0")"
scripts/ensure-deps.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build src/KeyCustody.Cli -c Release -nologo -v quiet
kc() { dotnet src/KeyCustody.Cli/bin/Release/net10.0/keycustody.dll "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "canonical JSON: code-point key order, raw UTF-8, -0 read as 0"
input='{"😀": 1, "\uFB33": 2, "b": [-0, "\u65E5\u672C", "tab\there"]}'
echo "in:  $input"
echo -n "out: "; echo "$input" | kc json canonicalize

step "refused input: every rejection says what and where"
for bad in '{"a": 1e10}' '{"a": 1, "a": 2}' '{"a": "\ud800"}' '{"a": 9007199254740992}'; do
  echo -n "$bad  ->  "; echo "$bad" | kc json canonicalize 2>&1 || true
done

step "sign the spec appendix vector (seed YJDBA9..., server 'domain', key ed25519:1)"
echo '{"one": 1, "two": "Two"}' | kc json sign --seed YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1 --entity domain --key-name 1 | tee /tmp/keycustody-demo-signed.json
echo -n "verify: "; kc json verify --public-key XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNI --entity domain --key-name 1 /tmp/keycustody-demo-signed.json

step "cross-sign device JLAFKJWSCS of @alice:example.org with her self-signing key (development seed)"
ssk=EmkqvokUn8p+vQAGZitOk4PWjp7Ukp3txV2TbMPEiBQ
kc json sign --seed HvQBbU+hc2Zr+JP1sE0XwBe1pfZZEYtJNPJLZJtS+F8 --entity @alice:example.org --key-name "$ssk" examples/device-JLAFKJWSCS.json | tee /tmp/keycustody-demo-device.json
echo -n "verify the self-signing key's signature: "
kc json verify --public-key "$ssk" --entity @alice:example.org --key-name "$ssk" /tmp/keycustody-demo-device.json

step "trust check: Alice trusts her master key nqOvzeu...; is her device trusted?"
kc trust check --query examples/keys-query-alice.json --user @alice:example.org --master-key nqOvzeuGWT/sRx3h7+MHoInYj3Uk2LD/unI9kDYcHwk
step "trust check against a different pinned master key (what a replaced identity looks like)"
kc trust check --query examples/keys-query-alice.json --user @alice:example.org --master-key XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNI || echo "(exit $?: not trusted)"
