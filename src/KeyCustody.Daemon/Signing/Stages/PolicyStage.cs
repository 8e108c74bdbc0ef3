using System.Security.Cryptography;
using KeyCustody.Contract.Audit;
using KeyCustody.Daemon.Keys;
using KeyCustody.Daemon.Requests;
using KeyCustody.Matrix;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Policy;
using KeyCustody.Matrix.Signing;

namespace KeyCustody.Daemon.Signing.Stages;

/// <summary>What the policy allowed: the objects, the bytes to sign for each, their hashes, and the intent in words.</summary>
internal sealed record SigningPlan(List<JsonObject> Objects, List<PolicyDecision> Decisions, List<byte[]> SigningBytes, JsonArray Hashes, string Intent);

/// <summary>
/// Every object through the key's role policy (<see cref="SigningPolicy"/>, pure, with what the daemon knows of the
/// owner's identity), and into the bytes the signature covers. The first object refused refuses the request, audited
/// with the hashes of the objects read up to it.
/// </summary>
internal static class PolicyStage
{
    public static SigningPlan Evaluate(SignRequest request, KeyEntry key, Ed25519PublicKey publicKey, KnownIdentity known, List<JsonObject> objects, Action<PolicyDecision> onDenied)
    {
        var entity = key.Settings.Owner;
        var decisions = new List<PolicyDecision>(objects.Count);
        var signingBytes = new List<byte[]>(objects.Count);
        for (var i = 0; i < objects.Count; i++)
        {
            var decision = SigningPolicy.Evaluate(key.Settings.Role, entity, publicKey, known, objects[i]);
            if (!decision.Allowed)
            {
                onDenied(decision);

                // Reasons quote user and device ids: a caller's text, escaped before a person reads it.
                var reason = DisplayText.Escape(decision.Reason);
                throw new Refusal(DaemonErrors.Policy(key.Name, objects.Count == 1 ? reason : $"object {i}: {reason}"), AuditDecisions.PolicyDenied, reason, ReadUpTo(objects, i));
            }

            decisions.Add(decision);
            try
            {
                signingBytes.Add(SignedJson.SigningBytes(objects[i], entity));
            }
            catch (MatrixFormatException e)
            {
                // The object cannot carry the signature (e.g. its "signatures" is not an object of objects): refused like any bad input, and audited.
                var reason = DisplayText.Escape(e.Message);
                throw new Refusal(DaemonErrors.InvalidJson(PayloadReader.IndexShown(request, i), reason), AuditDecisions.InvalidArgument, reason, ReadUpTo(objects, i));
            }
        }

        // What people read (the caller's progress, the approver's list, the touch prompt, the audit log): escaped once here.
        var intent = DisplayText.Escape(decisions.Count == 1 ? decisions[0].Intent : BatchIntent(key.Name, decisions));
        return new SigningPlan(objects, decisions, signingBytes, Hashes(signingBytes), intent);
    }

    /// <summary>
    /// "make N signatures with key 'K': " and every object's intent, "; " between them, written into one string of its
    /// exact length: for 1,000 objects it is about 70,000 characters, and joining then prefixing made it twice over, with
    /// the join's growing buffers besides.
    /// </summary>
    private static string BatchIntent(string keyName, List<PolicyDecision> decisions)
    {
        var prefix = $"make {decisions.Count} signatures with key '{keyName}': ";
        var length = prefix.Length + (2 * (decisions.Count - 1));
        foreach (var d in decisions)
        {
            length += d.Intent.Length;
        }

        return string.Create(length, (prefix, decisions), static (text, s) =>
        {
            s.prefix.CopyTo(text);
            var at = s.prefix.Length;
            for (var i = 0; i < s.decisions.Count; i++)
            {
                if (i > 0)
                {
                    "; ".CopyTo(text[at..]);
                    at += 2;
                }

                s.decisions[i].Intent.CopyTo(text[at..]);
                at += s.decisions[i].Intent.Length;
            }
        });
    }

    /// <summary>Each payload's SHA-256 in lowercase hex (made as JSON strings directly: a batch has 1,000).</summary>
    public static JsonArray Hashes(IEnumerable<byte[]> bytes)
    {
        var hashes = new List<JsonValue>();
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        foreach (var b in bytes)
        {
            SHA256.HashData(b, digest);
            hashes.Add(JsonString.LowerHex(digest));
        }

        return new JsonArray(hashes);
    }

    private static JsonObject ReadUpTo(List<JsonObject> objects, int last) =>
        JsonObject.Of(("payload_sha256", Hashes(objects.Take(last + 1).Select(o => CanonicalJson.EncodeForSigning(o)))));
}
