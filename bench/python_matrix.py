"""Times matrix-org's python-canonicaljson and python-signedjson on bench/data, as the C# side does.

Prints JSON: {input: {operation: median nanoseconds per call}}. Run with Debian's /usr/bin/python3.
"""
import base64
import hashlib
import json
import statistics
import sys
import timeit

from canonicaljson import encode_canonical_json
import signedjson.key
import signedjson.sign

data_dir = sys.argv[1]
seed = hashlib.sha256(b"keycustody-bench-signer").digest()
key = signedjson.key.decode_signing_key_base64("ed25519", "JLAFKJWSCS", base64.b64encode(seed).decode().rstrip("="))


def median_ns(fn):
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    runs = timer.repeat(repeat=15, number=number)
    return statistics.median(runs) / number * 1e9


results = {}
for name in ("device-keys", "keys-query"):
    with open(f"{data_dir}/{name}.json", "rb") as f:
        text = f.read()
    obj = json.loads(text)
    stripped = {k: v for k, v in obj.items() if k not in ("signatures", "unsigned")}
    signing_bytes = encode_canonical_json(stripped)
    results[name] = {
        "Encode": median_ns(lambda: encode_canonical_json(obj)),
        "ParseAndEncode": median_ns(lambda: encode_canonical_json(json.loads(text))),
        # sign_json pops and restores signatures/unsigned, so repeated calls on one dict are equivalent.
        "SignJson": median_ns(lambda: signedjson.sign.sign_json(obj, "@alice:example.org", key)),
        "BareEd25519": median_ns(lambda: key.sign(signing_bytes)),
    }
print(json.dumps(results))
