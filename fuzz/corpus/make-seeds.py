#!/usr/bin/env python3
"""Writes the seed inputs that come from files in this repository and the protocol digest.

json/      every JSON text in tests/vectors (canonical-JSON examples, MSC4458 cases, the spec's signing
           cases, the sytest-derived cross-signing objects)
pipeline/  real signing requests for the pipeline harness (its input format: PipelineTarget.cs)
hwsim/     APDU sequences from piv-pcsc-pkcs11.md (§1, §4) in the hw-sim harness's format (HwSimTarget.cs)
piv/       card answers from piv-pcsc-pkcs11.md in the PIV harness's format (ScriptedCard.cs, PivTarget.cs)

The recorded-*.bin seeds (real client <-> simulator conversations) come from
`KeyCustody.Fuzz.Piv seeds fuzz/corpus` instead. Usage: make-seeds.py [REPO_ROOT]
"""
import json
import os
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
vectors = os.path.join(root, "tests", "vectors")
out = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    os.makedirs(os.path.join(out, target), exist_ok=True)
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data)


def dumps(value, canonical=False):
    if canonical:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    return json.dumps(value, ensure_ascii=False, indent=1).encode()


# --- json ----------------------------------------------------------------------------------------------
with open(os.path.join(vectors, "matrix-signing.json"), encoding="utf-8") as f:
    signing = json.load(f)
for i, case in enumerate(signing["canonical_json_examples"]):
    write("json", f"vector-example-{i:02d}.json", case["input"].encode())
for i, case in enumerate(signing["spec"]["cases"]):
    write("json", f"vector-spec-{i:02d}-input.json", dumps(case["input"]))
    write("json", f"vector-spec-{i:02d}-signed.json", dumps(case["signed"], canonical=True))
for name, obj in signing["cross_signing"]["objects"].items():
    write("json", f"vector-cross-signing-{name}.json", dumps(obj))
msc = os.path.join(vectors, "msc4458")
for name in sorted(os.listdir(msc)):
    if not name[0].isdigit():
        continue
    with open(os.path.join(msc, name), "rb") as f:
        text = f.read()
    body = text.split(b"\n---", 1)[0]
    body = b"\n".join(line for line in body.split(b"\n") if not line.startswith(b"#"))
    write("json", f"msc4458-{name}.json", body)

# --- pipeline ------------------------------------------------------------------------------------------
objects = signing["cross_signing"]["objects"]
ALICE = "@alice:example.org"
KEYS = {"alice-master": 0, "alice-ssk": 1, "alice-usk": 2, "server": 3, "bob-ssk": 4}
OPS = {"sign_json": 0, "sign_json_batch": 1, "cross_sign_device": 2, "cross_sign_user": 3}


def unsigned_by(obj, key_id):
    """obj without the signature of key_id (the signer under test adds it back)."""
    obj = json.loads(json.dumps(obj))
    sigs = obj.get("signatures", {}).get(ALICE, {})
    sigs.pop(key_id, None)
    if not sigs:
        obj.get("signatures", {}).pop(ALICE, None)
    if not obj.get("signatures"):
        obj.pop("signatures", None)
    return obj


def request(key, op, payloads, flags=0, name=None):
    head = bytes([(KEYS[key] if name is None else 7) | (OPS[op] << 3) | flags])
    if name is not None:
        head += name.encode() + b"\x00"
    return head + b"\xff".join(payloads)


ssk_id = "ed25519:" + signing["cross_signing"]["public_keys"]["alice_ssk"]
usk_id = "ed25519:" + signing["cross_signing"]["public_keys"]["alice_usk"]
msk_id = "ed25519:" + signing["cross_signing"]["public_keys"]["alice_msk"]
ssk = dumps(unsigned_by(objects["alice_self_signing"], msk_id))
usk = dumps(unsigned_by(objects["alice_user_signing"], msk_id), canonical=True)
device = dumps(unsigned_by(objects["alice_device_cross_signed"], ssk_id))
bob = dumps(unsigned_by(objects["bob_master_signed_by_alice_usk"], usk_id))
server = dumps({"server_name": "example.org", "valid_until_ts": 1700000000000, "verify_keys": {}})
seeds = {
    "master-signs-ssk": request("alice-master", "sign_json", [ssk]),
    "master-signs-usk-denied-by-operator": request("alice-master", "sign_json", [usk], flags=0x80),
    "master-batch-ssk-usk": request("alice-master", "sign_json_batch", [ssk, usk]),
    "ssk-cross-signs-device": request("alice-ssk", "cross_sign_device", [device]),
    "ssk-batch-devices": request("alice-ssk", "sign_json_batch", [device, device]),
    "ssk-cross-signs-device-cancelled": request("alice-ssk", "cross_sign_device", [device], flags=0x40),
    "usk-cross-signs-bob": request("alice-usk", "cross_sign_user", [bob]),
    "usk-refuses-alice-device": request("alice-usk", "cross_sign_user", [device]),
    "server-signs-object": request("server", "sign_json", [server]),
    "stranger-denied": request("alice-ssk", "cross_sign_device", [device], flags=0x20),
    "key-missing-on-token": request("bob-ssk", "cross_sign_device", [device]),
    "unknown-key-name": request("alice-ssk", "sign_json", [device], name="carol-ssk"),
    "wrong-role-for-operation": request("alice-ssk", "cross_sign_user", [bob]),
    "invalid-json": request("alice-ssk", "cross_sign_device", [b'{"user_id": "@alice:example.org", 1.5}']),
    "batch-too-large": request("alice-ssk", "sign_json_batch", [device] * 5),
    "empty-payload": request("server", "sign_json", [b""]),
}
for name, data in seeds.items():
    write("pipeline", f"{name}.bin", data)


# --- hwsim (APDUs) -------------------------------------------------------------------------------------
def apdus(*hexes):
    data = b""
    for h in hexes:
        if h.startswith("!"):  # a reader event: 00 e
            data += bytes([0, int(h[1:], 16)])
            continue
        a = bytes.fromhex(h)
        data += (bytes([len(a)]) if len(a) < 0xFF else b"\xff" + len(a).to_bytes(2, "big")) + a
    return data


SELECT = "00A4040005A000000308"
AUTH1 = "00870A9B047C028000"
sign_hello = "0087E09C0B7C098200810568656C6C6F"
big = bytes(range(256)) * 4
sign_1000 = bytes.fromhex("7C8203EE8200818203E8") + big[:1000]
chunks = [sign_1000[i:i + 255] for i in range(0, len(sign_1000), 255)]
chained = [("10" if i < len(chunks) - 1 else "00") + "87E09C" + f"{len(c):02X}" + c.hex() for i, c in enumerate(chunks)]
write("hwsim", "doc-identity.bin", apdus(SELECT, "00FD0000", "00F80000", "0020008000", "00FD000000"))
write("hwsim", "doc-verify-pin.bin", apdus(SELECT, "002000800831323334353 6FFFF".replace(" ", ""), "00200080", "0020008008313131313131FFFF", "00200080"))
write("hwsim", "doc-change-reset-pin.bin", apdus(SELECT, "002400801031323334353 6FFFF3635343332 31FFFF".replace(" ", ""),
                                                 "002C0080103132333435363738 3132333435 36FFFF".replace(" ", "")))
write("hwsim", "doc-metadata.bin", apdus(SELECT, "00F7009B", "00F70080", "00F70081", "00F7009C", "00F700F9"))
write("hwsim", "doc-mgmt-auth-generate.bin", apdus(SELECT, AUTH1, "00870A9B267C24801000000000000000000000000000000000008110" + "00" * 16,
                                                   "004700 9C0BAC09 8001E0 AA0103 AB0102".replace(" ", ""), "0047009C05AC038001E0"))
write("hwsim", "doc-sign-hello.bin", apdus(SELECT, "00200080083132333435 36FFFF".replace(" ", ""), sign_hello))
write("hwsim", "doc-sign-chained-1000.bin", apdus(SELECT, *chained))
write("hwsim", "doc-sign-extended-1000.bin", apdus(SELECT, "0087E09C00" + len(sign_1000).to_bytes(2, "big").hex() + sign_1000.hex()))
write("hwsim", "doc-attest-get-data.bin", apdus(SELECT, "00F99C00", "00C0000000", "00CB3FFF055C035FFF01", "00C0000000", "00C0000000",
                                                "00CB3FFF055C035FC10A00", "00CB3FFF035C017E"))
write("hwsim", "doc-put-data.bin", apdus(SELECT, "00DB3FFF0B5C035FC1025304AABBCCDD", "00CB3FFF055C035FC102"))
write("hwsim", "doc-import-move-delete.bin", apdus(SELECT, "00FEE09C220720" + "11" * 32, "00F69D9C", "00F6FF9D"))
write("hwsim", "doc-reset-retries.bin", apdus(SELECT, "00FA0505", "00FB0000", "00FF FFFF 1B 0A 9B 18".replace(" ", "") + "01" * 24))
write("hwsim", "doc-events.bin", apdus(SELECT, "!01", "00FD0000", SELECT, "!02", sign_hello, "!03", "!00", "00F80000"))
write("hwsim", "doc-bad-class-length.bin", apdus("80A4040005A000000308", SELECT, "00", "00FD00", "00FD0000FF", "00FD000005AABB"))


# --- piv (card answers) --------------------------------------------------------------------------------
def answers(serial, *items):
    data = serial.to_bytes(4, "big")
    for item in items:
        if isinstance(item, int):  # an operation byte, or F1/F2 markers given as ("op", n)
            raise TypeError
        kind, value = item
        if kind == "op":
            data += bytes([value])
        elif kind == "auth":
            data += b"\xf1"
        elif kind == "gone":
            data += b"\xf2"
        else:
            a = bytes.fromhex(value)
            data += (bytes([len(a)]) if len(a) < 0xF0 else b"\xf0" + len(a).to_bytes(2, "big")) + a
    return data


def r(h):
    return ("answer", h.replace(" ", ""))


SERIAL = 11409355
select_ok = r("61 11 4F 06 00 00 10 00 01 00 79 07 4F 05 A0 00 00 03 08 90 00")
opened = [select_ok, r("05 07 01 90 00"), r("00 AE 17 CB 90 00")]
pub = "aXceGe19ufgBArmAjKeIPEEk0eaA4c3yIB6WjkjvYNE="
import base64
pubhex = base64.b64decode(pub).hex()
meta_9c = r("01 01 E0 02 02 03 02 03 01 01 04 22 86 20" + pubhex + "9000")
write("piv", "doc-open-status.bin", answers(SERIAL, *opened, ("op", 0x00), select_ok, r("01 01 FF 05 01 01 06 02 05 05 90 00")))
write("piv", "doc-open-old-firmware.bin", answers(SERIAL, select_ok, r("05 02 04 90 00"), r("00 AE 17 CB 90 00")))
write("piv", "doc-open-no-piv.bin", answers(SERIAL, r("6A 82")))
write("piv", "doc-getkey-9c.bin", answers(SERIAL, *opened, ("op", 0x02), select_ok, meta_9c))
write("piv", "doc-getkey-empty.bin", answers(SERIAL, *opened, ("op", 0x02), select_ok, r("6A 88")))
write("piv", "doc-sign-wrong-pin.bin", answers(SERIAL, *opened, ("op", 0x03), select_ok, meta_9c, r("01 01 FF 05 01 01 06 02 05 02 90 00"),
                                              select_ok, r("63 C1")))
write("piv", "doc-sign-touch-timeout.bin", answers(SERIAL, *opened, ("op", 0x03), select_ok, meta_9c, r("01 01 FF 05 01 01 06 02 05 05 90 00"),
                                                  select_ok, r("90 00"), r("69 82")))
write("piv", "doc-generate-3des.bin", answers(SERIAL, *opened, ("op", 0x84), select_ok, r("6D 00"), select_ok, ("auth", 0), ("auth", 0),
                                             r("7F 49 22 86 20" + pubhex + "90 00"), meta_9c))
write("piv", "doc-generate-aes192.bin", answers(SERIAL, *opened, ("op", 0x84), select_ok, r("01 01 0A 02 02 00 01 05 01 01 90 00"), select_ok,
                                               ("auth", 0), ("auth", 0), r("7F 49 22 86 20" + pubhex + "90 00"), meta_9c))
write("piv", "doc-chained-metadata.bin", answers(SERIAL, *opened, ("op", 0x02), select_ok, r("01 01 E0 02 02 03 02 61 10"),
                                                r("03 01 01 04 22 86 20" + pubhex + "9000")))
write("piv", "doc-removed-mid-sign.bin", answers(SERIAL, *opened, ("op", 0x03), select_ok, meta_9c, ("gone", 0), ("op", 0x07), *opened))
print("seeds written under", out)
