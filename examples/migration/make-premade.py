#!/usr/bin/python3
"""Writes premade-identity.json: the state ./run.sh starts keycustody-homeserver-sim from (--preload), an identity as
Element leaves it. @alice:localhost has cross-signing keys, two devices (PHONE, LAPTOP) cross-signed by her self-signing
key and signing her master key, Bob verified by her user-signing key, a room with Bob, and the three private keys in
secret storage as matrix-js-sdk wrote them (tests/vectors/secret-storage-js-sdk.json, the recovery-key variant, whose
recovery key is in recovery-key.txt). @demo:localhost exists so ./run.sh can publish the demo identity (its device
comes in a second --preload file that run-migration.sh writes from the device ./run.sh made). Signed with
matrix-org's python-signedjson (Debian python3-signedjson): run it with /usr/bin/python3 from the repository root."""
import json
import sys
from pathlib import Path

import nacl.signing
from signedjson.sign import sign_json
from unpaddedbase64 import encode_base64

root = Path(__file__).resolve().parents[2]
vectors = json.loads((root / "tests/vectors/secret-storage-js-sdk.json").read_text())
ALICE, BOB = "@alice:localhost", "@bob:localhost"


def key(seed: bytes):
    k = nacl.signing.SigningKey(seed)
    k.alg, k.version = "ed25519", encode_base64(k.verify_key.encode())
    return k


def device_key(seed: bytes, device_id: str):
    k = nacl.signing.SigningKey(seed)
    k.alg, k.version = "ed25519", device_id
    return k


def pub(k) -> str:
    return encode_base64(k.verify_key.encode())


def cross_signing(user, usage, k):
    return {"user_id": user, "usage": [usage], "keys": {"ed25519:" + pub(k): pub(k)}}


def device(user, device_id, k):
    return sign_json({
        "user_id": user, "device_id": device_id,
        "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
        "keys": {"ed25519:" + device_id: pub(k), "curve25519:" + device_id: "3C5BFWi2Y8MaVvjM8M22DBmh24PmgR0nPvJOIArzgyI"},
    }, user, k)


seeds = {name: bytes.fromhex(h) for name, h in vectors["seeds_hex"].items()}
msk, ssk, usk = (key(seeds["m.cross_signing." + n]) for n in ("master", "self_signing", "user_signing"))
phone, laptop = device_key(b"alice-phone-alice-phone-alice-ph", "PHONE"), device_key(b"alice-laptop-alice-laptop-alice-", "LAPTOP")
bob_msk, bob_ssk = key(b"bob-master-bob-master-bob-master"), key(b"bob-self-signing-bob-self-signin")
bob_phone = device_key(b"bob-device-phone-bob-device-phon", "BOBPHONE")

alice_master = cross_signing(ALICE, "master", msk)
bob_master = cross_signing(BOB, "master", bob_msk)
devices = {d: device(ALICE, d, k) for d, k in (("PHONE", phone), ("LAPTOP", laptop))}
state = {
    "users": [
        {"user_id": ALICE, "access_token": "alice-phone-token", "password": "alice's password", "device_id": "PHONE"},
        {"user_id": BOB, "access_token": "bob-phone-token", "password": "bob's password", "device_id": "BOBPHONE"},
        {"user_id": "@demo:localhost", "access_token": "demo-token", "password": "demo password", "device_id": "DEMOPHONE"},
    ],
    "device_keys": [devices["PHONE"], devices["LAPTOP"], device(BOB, "BOBPHONE", bob_phone)],
    "cross_signing_keys": {
        ALICE: {
            "master": alice_master,
            "self_signing": sign_json(cross_signing(ALICE, "self_signing", ssk), ALICE, msk),
            "user_signing": sign_json(cross_signing(ALICE, "user_signing", usk), ALICE, msk),
        },
        BOB: {"master": bob_master, "self_signing": sign_json(cross_signing(BOB, "self_signing", bob_ssk), BOB, bob_msk)},
    },
    "signature_uploads": [
        {"user_id": BOB, "body": {BOB: {"BOBPHONE": sign_json(device(BOB, "BOBPHONE", bob_phone), BOB, bob_ssk)}}},
        {"user_id": ALICE, "body": {
            ALICE: {
                "PHONE": sign_json(json.loads(json.dumps(devices["PHONE"])), ALICE, ssk),
                "LAPTOP": sign_json(json.loads(json.dumps(devices["LAPTOP"])), ALICE, ssk),
                pub(msk): sign_json(sign_json(json.loads(json.dumps(alice_master)), ALICE, phone), ALICE, laptop),
            },
            BOB: {pub(bob_msk): sign_json(json.loads(json.dumps(bob_master)), ALICE, usk)},
        }},
    ],
    "account_data": {ALICE: vectors["recovery_key"]["account_data"]},
    "rooms": [[ALICE, BOB]],
}
json.dump(state, sys.stdout, indent=1, sort_keys=True)
sys.stdout.write("\n")
