#!/usr/bin/python3
"""Have keycustodyd cross-sign a Matrix device with a self-signing key, then check the result.

The device keys are made here (a fresh Ed25519 key, self-signed with python-signedjson, because the
daemon's policy signs only devices that carry their own valid self-signature); the daemon signs them
with its self-signing key over its Unix socket (gRPC, Debian's python3-grpcio); python-signedjson
verifies the signature against the self-signing key's public key.

The gRPC stubs are generated at run time from protos/keycustody/v1/custody.proto into a temporary
directory (python3-grpc-tools); nothing generated is kept.

Exit codes: 0 signed and verified; 1 the signature does not verify; 2 anything else (bad arguments,
daemon unreachable, request refused).
"""

import argparse
import importlib
import json
import os
import pathlib
import shutil
import sys
import tempfile

import grpc
import nacl.public
import signedjson.key
import signedjson.sign
from canonicaljson import encode_canonical_json
from unpaddedbase64 import decode_base64, encode_base64

DEFAULT_SOCKET = "/run/keycustody/keycustodyd.sock"
DEFAULT_PROTOS = pathlib.Path(__file__).resolve().parents[2] / "protos"


def fail(message, code=2):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(code)


def load_stubs(protos, into):
    """Compiles custody.proto into `into` and imports the message and service modules."""
    from grpc_tools import protoc

    proto = pathlib.Path(protos) / "keycustody" / "v1" / "custody.proto"
    if not proto.is_file():
        fail(f"{proto} does not exist; give --protos DIR (the repository's protos directory)")
    args = ["grpc_tools.protoc", f"-I{protos}", f"--python_out={into}", f"--grpc_python_out={into}", "keycustody/v1/custody.proto"]
    if protoc.main(args) != 0:
        fail(f"grpc_tools.protoc could not compile {proto}")
    sys.path.insert(0, into)
    return importlib.import_module("keycustody.v1.custody_pb2"), importlib.import_module("keycustody.v1.custody_pb2_grpc")


def make_device(user_id, device_id):
    """Device keys as a client would upload them: an Ed25519 and a Curve25519 key, self-signed."""
    signing_key = signedjson.key.generate_signing_key(device_id)
    device = {
        "user_id": user_id,
        "device_id": device_id,
        "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
        "keys": {
            f"ed25519:{device_id}": signedjson.key.encode_verify_key_base64(signing_key.verify_key),
            f"curve25519:{device_id}": encode_base64(nacl.public.PrivateKey.generate().public_key.encode()),
        },
    }
    return signedjson.sign.sign_json(device, user_id, signing_key), signedjson.key.get_verify_key(signing_key)


def describe(pb2, event):
    """One line per event of the signing stream."""
    kind = event.WhichOneof("event")
    if kind == "accepted":
        return f"ACCEPTED request {event.accepted.request_id}: {event.accepted.intent}"
    if kind == "queued":
        return f"QUEUED {event.queued.position} ahead on the token"
    if kind == "presence_required":
        p = event.presence_required
        method = pb2.PresenceRequired.Method.Name(p.method)
        if method == "TOUCH":
            return f"PRESENCE_REQUIRED TOUCH: touch the YubiKey with serial {p.token_serial} within {p.timeout_seconds} s to {p.intent}"
        return f"PRESENCE_REQUIRED {method}: an operator must approve request {p.request_id} within {p.timeout_seconds} s (keycustody approve {p.request_id})"
    if kind == "signed":
        return f"SIGNED with {event.signed.key_id}"
    return f"unknown event {kind}"


def run(args, pb2, pb2_grpc):
    with grpc.insecure_channel("unix:" + args.socket) as channel:
        custody = pb2_grpc.CustodyStub(channel)
        keys = custody.ListKeys(pb2.ListKeysRequest(), timeout=30).keys
        candidates = [k for k in keys if k.role == "self_signing" and (args.key is None or k.name == args.key)]
        if not candidates:
            fail(f"the daemon offers no self-signing key{' named ' + args.key if args.key else ''} to this caller "
                 f"(keys: {', '.join(k.name + ' (' + k.role + ')' for k in keys) or 'none'})")
        ssk = candidates[0]
        user_id = ssk.owner
        print(f"self-signing key {ssk.name} of {user_id}: {ssk.public_key} ({ssk.token_kind} token {ssk.token_serial})")

        device, device_key = make_device(user_id, args.device_id)
        print("device keys, self-signed by the device:")
        print("  " + encode_canonical_json(device).decode())

        request = pb2.CrossSignDeviceRequest(key=ssk.name, device_keys=encode_canonical_json(device))
        signed = None
        for event in custody.CrossSignDevice(request, timeout=args.timeout):
            print(describe(pb2, event), flush=True)
            if event.WhichOneof("event") == "signed":
                signed = event.signed
        if signed is None:
            fail("the daemon ended the stream without a signature")

    result = json.loads(signed.signed_json[0])
    print("signed by the daemon:")
    print("  " + encode_canonical_json(result).decode())

    verify_key = signedjson.key.decode_verify_key_bytes("ed25519:" + ssk.public_key, decode_base64(ssk.public_key))
    try:
        signedjson.sign.verify_signed_json(result, user_id, verify_key)
        signedjson.sign.verify_signed_json(result, user_id, device_key)
    except signedjson.sign.SignatureVerifyException as e:
        fail(f"python-signedjson does not accept the result: {e}", code=1)
    print(f"verified with python-signedjson: signatures[{user_id}][ed25519:{ssk.public_key}] "
          f"is a valid signature by the self-signing key, and the device's own signature still verifies")
    print("the /keys/signatures/upload body:")
    print("  " + signed.signatures_upload.decode())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--socket", default=os.environ.get("KEYCUSTODY_SOCKET") or DEFAULT_SOCKET,
                        help=f"the daemon's Unix socket (default: $KEYCUSTODY_SOCKET, else {DEFAULT_SOCKET})")
    parser.add_argument("--key", help="the self-signing key's name in the daemon (default: the first self-signing key this caller may use)")
    parser.add_argument("--device-id", default="PYTHONEXAMPLE", help="the device ID to make (default: PYTHONEXAMPLE)")
    parser.add_argument("--protos", default=str(DEFAULT_PROTOS), help="the directory holding keycustody/v1/custody.proto")
    parser.add_argument("--timeout", type=int, default=180, help="seconds to wait for the signature, touch included (default: 180)")
    args = parser.parse_args()

    stubs = tempfile.mkdtemp(prefix="keycustody-stubs-")
    try:
        pb2, pb2_grpc = load_stubs(args.protos, stubs)
        run(args, pb2, pb2_grpc)
    except grpc.RpcError as e:
        if e.code() == grpc.StatusCode.UNAVAILABLE:
            fail(f"cannot reach keycustodyd at {args.socket} ({e.details()})")
        fail(f"the daemon answered {e.code().name}: {e.details()}")
    finally:
        shutil.rmtree(stubs, ignore_errors=True)


if __name__ == "__main__":
    main()
