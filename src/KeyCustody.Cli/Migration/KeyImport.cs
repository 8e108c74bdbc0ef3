using Google.Protobuf;
using KeyCustody.Cli.Provisioning;
using KeyCustody.Client;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.SecretStorage;
using KeyCustody.Matrix.Signing;
using KeyCustody.Protos.V1;

namespace KeyCustody.Cli.Migration;

/// <summary>
/// Puts a seed from secret storage onto a configured key's token through the daemon's Admin ImportKey (audited there,
/// recorded as imported, by whom and when), then has the daemon accept it through the attestation gate, as
/// <c>provision --master import</c> does: an imported key cannot be attested, and without an acceptance the daemon
/// lets it sign nothing. Once: a token that already holds this very key is left alone (it was checked again before
/// anything was changed). The seed crosses the daemon's local socket (admin.proto says so) straight from the caller's
/// buffer, which the caller zeroes.
/// </summary>
internal static class KeyImport
{
    /// <summary>One line saying what was done, and the key's entry for the report when it was imported now.</summary>
    public static async Task<(string Done, JsonObject? Entry)> RunAsync(
        KeyCustodyClient client, AttestationGate gate, KeyInfo key, SecretBuffer seed, Ed25519PublicKey expected, KeyPolicies policies, string reason, CancellationToken ct)
    {
        if (key.PublicKey == expected.Base64)
        {
            return ($"{key.Name} (token {key.Token}) already holds {expected.Base64}: not imported again", null);
        }

        policies = policies.For(key, $"key '{key.Name}'");
        Console.Error.WriteLine($"importing {expected.Base64} into '{key.Name}' (token {key.Token}, PIN {policies.Pin}, touch {policies.Touch})");
        var imported = await client.Admin.ImportKeyAsync(
            new ImportKeyRequest { Key = key.Name, Seed = UnsafeByteOperations.UnsafeWrap(seed.UnsafeArray), PinPolicy = policies.Pin, TouchPolicy = policies.Touch },
            cancellationToken: ct);
        if (imported.PublicKey != expected.Base64)
        {
            throw new MigrationException(ExitCodes.Failed, $"token {key.Token} reports public key {imported.PublicKey} after importing {expected.Base64}: the token is not behaving; stop and check it (secret storage is untouched)");
        }

        var entry = await gate.AcceptImportedAsync(key, imported, reason, ct);
        return ($"{key.Name} (token {key.Token}): {expected.Base64} imported (PIN {imported.PinPolicy}, touch {imported.TouchPolicy}); recorded as {entry.GetString("origin")}, not attested, and accepted for the migration", entry);
    }
}
