using Grpc.Core;
using KeyCustody.Client.Attestation;
using KeyCustody.Client;
using KeyCustody.Matrix.Codecs;
using KeyCustody.Protos.V1;

namespace KeyCustody.Cli.Migration;

/// <summary>
/// New self-signing and user-signing keys made on their tokens, each attestation checked against roots the operator
/// trusts (as <c>keycustody provision</c> does). A key the daemon already holds for the role is kept when it is the
/// published one (an earlier run got that far) or when its attestation shows it was made on the card (an earlier run
/// stopped before publishing): nothing is generated twice.
/// </summary>
internal static class FreshSigningKeys
{
    /// <summary>The public key now on the token, and one line saying what was done.</summary>
    public static async Task<(string PublicKey, string Done)> RunAsync(
        KeyCustodyClient client, KeyInfo key, string shortName, string? published, KeyPolicies policies, AttestationOptions attestation, CancellationToken ct)
    {
        if (key.PublicKey.Length > 0 && key.PublicKey == published)
        {
            return (key.PublicKey, $"{key.Name} (token {key.Token}) already holds the published {shortName} key {key.PublicKey}: kept");
        }

        string publicKey;
        string pin, touch;
        string what;
        if (key.PublicKey.Length > 0)
        {
            (publicKey, pin, touch) = (key.PublicKey, key.PinPolicy, key.TouchPolicy);
            what = $"{key.Name} (token {key.Token}) already holds an unpublished {shortName} key {publicKey} from an earlier run: kept";
        }
        else
        {
            Console.Error.WriteLine($"generating the {shortName} key '{key.Name}' on token {key.Token} (PIN {policies.Pin}, touch {policies.Touch})");
            var generated = await client.Admin.GenerateKeyAsync(new GenerateKeyRequest { Key = key.Name, PinPolicy = policies.Pin, TouchPolicy = policies.Touch }, cancellationToken: ct);
            (publicKey, pin, touch) = (generated.PublicKey, generated.PinPolicy, generated.TouchPolicy);
            what = $"{key.Name} (token {key.Token}): new {shortName} key {publicKey} generated";
        }

        return (publicKey, what + "; " + await AttestAsync(client, key, shortName, publicKey, pin, touch, attestation, ct));
    }

    private static async Task<string> AttestAsync(KeyCustodyClient client, KeyInfo key, string shortName, string publicKey, string pin, string touch, AttestationOptions options, CancellationToken ct)
    {
        AttestResponse response;
        try
        {
            response = await client.Admin.AttestAsync(new AttestRequest { Key = key.Name }, cancellationToken: ct);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unimplemented)
        {
            return options.AllowUnattested
                ? "not attested: the token has no attestation (--allow-unattested)"
                : throw new MigrationException(ExitCodes.Refused, $"token {key.Token} ({key.TokenKind}) cannot attest the {shortName} key; add --allow-unattested to continue without proof that it was made on the device");
        }

        if (options.Roots.Count == 0)
        {
            return options.AllowUnattested
                ? "attestation not checked (no --attestation-root; --allow-unattested)"
                : throw new MigrationException(ExitCodes.BadInput, "give --attestation-root (the PEM root CA that PIV attestations must chain to), or --allow-unattested");
        }

        try
        {
            var attested = AttestationCheck.Verify(
                response.Certificate.ToByteArray(), response.Intermediates.Select(i => i.ToByteArray()).ToList(),
                options.Roots, options.Intermediates, UnpaddedBase64.Decode(publicKey), pin, touch,
                uint.TryParse(key.TokenSerial, out var serial) ? serial : null);
            return $"attested: made on card {attested.Serial} (firmware {attested.Firmware}), PIN {attested.PinPolicy}, touch {attested.TouchPolicy}, chain to {attested.RootSubject}";
        }
        catch (AttestationMismatchException e)
        {
            throw new MigrationException(ExitCodes.Refused, $"the {shortName} key '{key.Name}' on token {key.Token}: {e.Message}. It is not trusted and was not signed or published; " +
                "the master key is already on its tokens; replace the key (keycustody provision --rotate " + shortName + ") and run migrate again");
        }
    }
}
