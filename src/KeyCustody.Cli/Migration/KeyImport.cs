using Google.Protobuf;
using KeyCustody.Client;
using KeyCustody.Matrix.SecretStorage;
using KeyCustody.Matrix.Signing;
using KeyCustody.Protos.V1;

namespace KeyCustody.Cli.Migration;

/// <summary>
/// Puts a seed from secret storage onto a configured key's token through the daemon's Admin ImportKey (audited
/// there, recorded as imported), once: a token that already holds this very key is left alone. The seed crosses the
/// daemon's local socket (admin.proto says so) straight from the caller's buffer, which the caller zeroes.
/// </summary>
internal static class KeyImport
{
    /// <summary>One line saying what was done.</summary>
    public static async Task<string> RunAsync(KeyCustodyClient client, KeyInfo key, SecretBuffer seed, Ed25519PublicKey expected, KeyPolicies policies, CancellationToken ct)
    {
        if (key.PublicKey == expected.Base64)
        {
            return $"{key.Name} (token {key.Token}) already holds {expected.Base64}: not imported again";
        }

        Console.Error.WriteLine($"importing {expected.Base64} into '{key.Name}' (token {key.Token}, PIN {policies.Pin}, touch {policies.Touch})");
        var imported = await client.Admin.ImportKeyAsync(
            new ImportKeyRequest { Key = key.Name, Seed = UnsafeByteOperations.UnsafeWrap(seed.UnsafeArray), PinPolicy = policies.Pin, TouchPolicy = policies.Touch },
            cancellationToken: ct);
        if (imported.PublicKey != expected.Base64)
        {
            throw new MigrationException(ExitCodes.Failed, $"token {key.Token} reports public key {imported.PublicKey} after importing {expected.Base64}: the token is not behaving; stop and check it (secret storage is untouched)");
        }

        return $"{key.Name} (token {key.Token}): {expected.Base64} imported (PIN {imported.PinPolicy}, touch {imported.TouchPolicy}; recorded as imported, not attested)";
    }
}
