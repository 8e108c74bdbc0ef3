using System.Diagnostics;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;

namespace KeyCustody.Daemon.Bench;

/// <summary>
/// The Ed25519 work the daemon must do for each device-keys object, alone, in this process on one thread: verify the
/// device's own self-signature (the self-signing policy), sign the canonical bytes, and verify that signature against
/// the pinned key (docs/architecture.md, "A signing request, end to end", step 12), with the canonical encoding the policy's check needs. Nothing else: no
/// parsing, gRPC, audit or scheduling. Its rate times
/// the cores is the most signatures per second the machine allows while the daemon keeps those checks.
/// </summary>
internal static class CryptoFloor
{
    public sealed record Result(double MicrosecondsPerObject, double SignMicroseconds, double VerifyMicroseconds)
    {
        public double MaxPerSecond(int cores) => cores * 1e6 / MicrosecondsPerObject;
    }

    public static Result Measure(IReadOnlyList<byte[]> devices, TimeSpan duration)
    {
        var objects = devices.Select(d => CanonicalJson.ParseObject(d)).ToList();
        var deviceKeys = objects.Select(o =>
        {
            var id = o.GetString("device_id")!;
            return ("ed25519:" + id, ((JsonObject)o["keys"]!).GetString("ed25519:" + id)!);
        }).ToList();
        var bytes = objects.Select(o => SignedJson.SigningBytes(o, Devices.User)).ToList();
        using var ssk = Ed25519SoftwareKey.Generate();
        var pinned = ssk.PublicKey;
        var signature = new byte[Ed25519PublicKey.SignatureLength];

        // Warm up, then three timed rounds of each part; the median round counts.
        double Time(Action<int> work)
        {
            for (var i = 0; i < 200; i++)
            {
                work(i % objects.Count);
            }

            var rounds = new List<double>();
            for (var round = 0; round < 3; round++)
            {
                var n = 0;
                var clock = Stopwatch.StartNew();
                while (clock.Elapsed < duration / 9)
                {
                    work(n++ % objects.Count);
                }

                rounds.Add(clock.Elapsed.TotalMicroseconds / n);
            }

            return rounds.Order().ElementAt(1);
        }

        var policy = Time(i =>
        {
            var check = SignedJson.Verify(objects[i], Devices.User, deviceKeys[i].Item1, Ed25519PublicKey.FromBase64(deviceKeys[i].Item2));
            if (!check.IsValid)
            {
                throw new InvalidOperationException("a bench device's self-signature does not verify: " + check.Reason);
            }
        });
        var sign = Time(i => ssk.Sign(bytes[i], signature));
        var verify = Time(i =>
        {
            ssk.Sign(bytes[i], signature);
            if (!pinned.Verify(bytes[i], signature))
            {
                throw new InvalidOperationException("a fresh signature does not verify");
            }
        }) - sign;
        return new Result(policy + sign + verify, sign, verify);
    }
}
