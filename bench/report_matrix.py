"""Prints the README table from one run: BenchmarkDotNet's JSON report and python_matrix.py's output."""
import glob
import json
import sys

bdn_dir, python_file = sys.argv[1], sys.argv[2]
report = glob.glob(f"{bdn_dir}/results/*MatrixBenchmarks*-report-full-compressed.json") or glob.glob(f"{bdn_dir}/results/*MatrixBenchmarks*.json")
with open(report[0]) as f:
    bdn = json.load(f)
with open(python_file) as f:
    py = json.load(f)

ours = {}
for b in bdn["Benchmarks"]:
    ours[(b["Parameters"].split("=")[1], b["Method"])] = (b["Statistics"]["Median"], (b.get("Memory") or {}).get("BytesAllocatedPerOperation"))


def fmt(ns):
    return f"{ns / 1000:.2f} µs" if ns >= 1000 else f"{ns:.0f} ns"


rows = [("Encode", "canonicalise (tree → bytes)", 8.0), ("ParseAndEncode", "canonicalise (text → bytes)", 8.0),
        ("SignJson", "sign_json", 1.3), ("BareEd25519", "bare Ed25519 of the same bytes", None)]
print("| input | operation | KeyCustody | python | python ÷ KeyCustody | target |")
print("|---|---|---|---|---|---|")
ok = True
for name in ("device-keys", "keys-query"):
    for method, label, target in rows:
        mine, alloc = ours[(name, method)]
        theirs = py[name][method]
        ratio = theirs / mine
        verdict = "" if target is None else (f"≥ {target}× {'✔' if ratio >= target else '✘'}")
        ok &= target is None or ratio >= target
        print(f"| {name} | {label} | {fmt(mine)} ({alloc} B) | {fmt(theirs)} | {ratio:.1f}× | {verdict} |")
    overhead = ours[(name, "SignJson")][0] / ours[(name, "BareEd25519")][0] - 1
    ok &= overhead <= 0.15
    print(f"| {name} | sign_json over bare Ed25519 | +{overhead * 100:.1f}% | | | ≤ +15% {'✔' if overhead <= 0.15 else '✘'} |")
sys.exit(0 if ok else 1)
