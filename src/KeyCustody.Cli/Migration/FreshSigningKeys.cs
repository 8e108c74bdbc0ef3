using KeyCustody.Cli.Provisioning;
using KeyCustody.Client;
using KeyCustody.Matrix.Json;
using KeyCustody.Protos.V1;

namespace KeyCustody.Cli.Migration;

/// <summary>
/// New self-signing and user-signing keys made on their tokens and admitted by provisioning's attestation gate, exactly
/// as <c>keycustody provision</c> admits them: the operator's roots and the daemon's own check, a key that fails
/// rejected in the daemon, a token without attestation only with --allow-unattested (recorded as an acceptance). A key
/// the daemon already holds for the role is kept (it was checked again by the gate before anything was changed), the
/// published one (an earlier run got that far) or another (an earlier run stopped before publishing): nothing is
/// generated twice.
/// </summary>
internal static class FreshSigningKeys
{
    /// <summary>The public key now on the token, one line saying what was done, and the key's entry for the report when it was made now.</summary>
    public static async Task<(string PublicKey, string Done, JsonObject? Entry)> RunAsync(
        KeyCustodyClient client, AttestationGate gate, KeyInfo key, string shortName, string? published, KeyPolicies policies, CancellationToken ct)
    {
        if (key.PublicKey.Length > 0)
        {
            return (key.PublicKey, key.PublicKey == published
                ? $"{key.Name} (token {key.Token}) already holds the published {shortName} key {key.PublicKey}: kept"
                : $"{key.Name} (token {key.Token}) already holds an unpublished {shortName} key {key.PublicKey} from an earlier run: kept", null);
        }

        policies = policies.For(key, $"{shortName} key '{key.Name}'");
        Console.Error.WriteLine($"generating the {shortName} key '{key.Name}' on token {key.Token} (PIN {policies.Pin}, touch {policies.Touch})");
        var generated = await client.Admin.GenerateKeyAsync(new GenerateKeyRequest { Key = key.Name, PinPolicy = policies.Pin, TouchPolicy = policies.Touch }, cancellationToken: ct);
        var entry = await gate.AdmitGeneratedAsync(key, shortName, generated, policies.Pin, policies.Touch, ct);
        return (generated.PublicKey, $"{key.Name} (token {key.Token}): new {shortName} key {generated.PublicKey} generated; {Attestation(entry)}", entry);
    }

    /// <summary>The gate's finding in one phrase: the card and root that vouch for the key, or why nothing does.</summary>
    private static string Attestation(JsonObject entry) => entry.GetObject("attestation") is { } a
        ? $"attested: made on card {a.GetString("serial")} (firmware {a.GetString("firmware")}), chain to {a.GetString("root")}"
        : "attestation " + entry.GetString("attestation");
}
