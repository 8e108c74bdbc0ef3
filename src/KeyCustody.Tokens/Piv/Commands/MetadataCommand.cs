namespace KeyCustody.Tokens.Piv.Commands;

/// <summary>What GET METADATA says about a key slot.</summary>
internal sealed record KeyMetadata(byte Algorithm, PinPolicy PinPolicy, TouchPolicy TouchPolicy, KeyOrigin Origin, byte[] PublicKey);

/// <summary>What GET METADATA says about the PIN or PUK.</summary>
internal sealed record PinMetadata(bool IsDefault, int TotalRetries, int RetriesLeft);

/// <summary>What GET METADATA says about the management key.</summary>
internal sealed record ManagementKeyMetadata(byte Algorithm, TouchPolicy TouchPolicy, bool IsDefault);

/// <summary>GET METADATA (F7), firmware 5.3+: <c>00 F7 00 slot</c> → concatenated TLVs (piv-pcsc-pkcs11.md §1.8).</summary>
internal static class MetadataCommand
{
    public static CommandApdu Build(byte slot) => new(0x00, 0xF7, 0x00, slot);

    /// <summary>Null for an empty slot (6A88).</summary>
    public static KeyMetadata? ParseKey(ResponseApdu response, PivErrorContext context)
    {
        if (response.StatusWord == StatusWords.ReferenceNotFound)
        {
            return null;
        }

        var items = Items(response, context);
        var algorithm = Require(items, 0x01, 1, context);
        var policy = Require(items, 0x02, 2, context);
        var origin = Ber.Find(items, 0x03);
        var publicKey = Ber.Find(items, 0x04) ?? throw context.Malformed("GET METADATA", new InvalidDataException("no public key (tag 04)"));
        byte[] raw = [];
        if (algorithm[0] is PivAlgorithm.Ed25519 or PivAlgorithm.X25519)
        {
            try
            {
                raw = Ber.Unwrap(publicKey, 0x86);
            }
            catch (InvalidDataException e)
            {
                throw context.Malformed("GET METADATA", e);
            }
        }

        return new KeyMetadata(
            algorithm[0],
            PivPolicy.DecodePin(policy[0]),
            PivPolicy.DecodeTouch(policy[1]),
            origin is [0x01] ? KeyOrigin.Generated : origin is [0x02] ? KeyOrigin.Imported : KeyOrigin.Unknown,
            raw);
    }

    public static PinMetadata ParsePin(ResponseApdu response, PivErrorContext context)
    {
        var items = Items(response, context);
        var isDefault = Ber.Find(items, 0x05);
        var retries = Require(items, 0x06, 2, context);
        return new PinMetadata(isDefault is [0x01], retries[0], retries[1]);
    }

    /// <summary>Firmware without metadata for 9B (before 5.3) uses 3DES: null then.</summary>
    public static ManagementKeyMetadata? ParseManagementKey(ResponseApdu response, PivErrorContext context)
    {
        if (!response.IsSuccess)
        {
            return null;
        }

        var items = Items(response, context);
        var algorithm = Require(items, 0x01, 1, context);
        if (algorithm[0] is not (PivAlgorithm.TripleDes or PivAlgorithm.Aes128 or PivAlgorithm.Aes192 or PivAlgorithm.Aes256))
        {
            // Authentication would have no key length or block size for it: the card's answer is what is wrong.
            throw context.Malformed("GET METADATA", new InvalidDataException($"unknown management key algorithm {algorithm[0]:X2}"));
        }

        var policy = Ber.Find(items, 0x02);
        var isDefault = Ber.Find(items, 0x05);
        return new ManagementKeyMetadata(
            algorithm[0],
            policy is { Length: 2 } ? PivPolicy.DecodeTouch(policy[1]) : TouchPolicy.Never,
            isDefault is [0x01]);
    }

    private static List<(int Tag, byte[] Value)> Items(ResponseApdu response, PivErrorContext context)
    {
        if (!response.IsSuccess)
        {
            throw context.Unexpected(response.StatusWord, "GET METADATA");
        }

        try
        {
            return Ber.ReadAll(response.Data);
        }
        catch (InvalidDataException e)
        {
            throw context.Malformed("GET METADATA", e);
        }
    }

    private static byte[] Require(List<(int Tag, byte[] Value)> items, int tag, int length, PivErrorContext context)
    {
        var value = Ber.Find(items, tag);
        return value is not null && value.Length == length
            ? value
            : throw context.Malformed("GET METADATA", new InvalidDataException($"tag {tag:X2} missing or not {length} byte(s)"));
    }
}
