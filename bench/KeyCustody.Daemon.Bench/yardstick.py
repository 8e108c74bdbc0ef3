"""The yardstick for the daemon benchmark: matrix-org's python-signedjson signing in-process, on the same
device-keys objects the daemon signs, in the same run. Run with Debian's /usr/bin/python3.

Usage: yardstick.py DEVICES_FILE (one canonical JSON object per line). Prints JSON with, for each way:
  sign_json       sign_json(obj, user, key) on already-parsed objects (the strict yardstick: no parsing, no
                  encoding of the result)
  bytes_to_bytes  json.loads + sign_json + encode_canonical_json: bytes in, canonical signed bytes out, which
                  is what the daemon does per object
the signatures per second (median of 9 passes over every object, the two ways interleaved so that both see
the same machine load) and the CPU time per signature (process_time), one thread: one Python process.
"""
import base64
import hashlib
import json
import statistics
import sys
import time

from canonicaljson import encode_canonical_json
import signedjson.key
import signedjson.sign

USER = "@bench:example.org"
PASSES = 9

with open(sys.argv[1], "rb") as f:
    lines = [line.rstrip(b"\n") for line in f if line.strip()]
seed = hashlib.sha256(b"keycustody-daemon-bench-ssk").digest()
key = signedjson.key.decode_signing_key_base64("ed25519", "ssk", base64.b64encode(seed).decode().rstrip("="))
objects = [json.loads(line) for line in lines]


def sign_json():
    for obj in objects:
        signedjson.sign.sign_json(obj, USER, key)


def bytes_to_bytes():
    for line in lines:
        encode_canonical_json(signedjson.sign.sign_json(json.loads(line), USER, key))


ways = {"sign_json": sign_json, "bytes_to_bytes": bytes_to_bytes}
rates = {name: [] for name in ways}
cpu = {name: [] for name in ways}
sign_json()  # warm-up
for _ in range(PASSES):
    for name, fn in ways.items():
        wall, proc = time.perf_counter(), time.process_time()
        fn()
        rates[name].append(len(lines) / (time.perf_counter() - wall))
        cpu[name].append((time.process_time() - proc) / len(lines) * 1e6)
print(json.dumps({
    "objects": len(lines),
    **{name + "_per_s": statistics.median(rates[name]) for name in ways},
    **{name + "_cpu_us": statistics.median(cpu[name]) for name in ways},
}))
