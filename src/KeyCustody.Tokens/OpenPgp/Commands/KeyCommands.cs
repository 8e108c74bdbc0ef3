using KeyCustody.Tokens.OpenPgp.Apdu;
using KeyCustody.Tokens.Piv;

namespace KeyCustody.Tokens.OpenPgp.Commands;

/// <summary>GENERATE ASYMMETRIC KEY PAIR (47: generate 80, read the public key 81) and key import (PUT DATA 3FFF).</summary>
internal static class KeyCommands
{
    /// <summary><c>00 47 80 00 02 CRT 00 00</c>: a new key in the slot (needs PW3), the public key back.</summary>
    public static PgpCommand Generate(OpenPgpKeySlot slot) => new(0x00, 0x47, 0x80, 0x00, [slot.CrtTag, 0x00], expectsData: true);

    /// <summary><c>00 47 81 00 02 CRT 00 00</c>: the slot's public key, no password needed.</summary>
    public static PgpCommand ReadPublicKey(OpenPgpKeySlot slot) => new(0x00, 0x47, 0x81, 0x00, [slot.CrtTag, 0x00], expectsData: true);

    /// <summary><c>7F 49 L 86 20 A</c> → A (a 0x40-prefixed 33-byte point is accepted, as GnuPG writes EdDSA points).</summary>
    public static byte[] ParsePublicKey(ResponseApdu response, string operation, OpenPgpErrorContext context)
    {
        if (!response.IsSuccess)
        {
            throw response.StatusWord == StatusWords.SecurityStatusNotSatisfied
                ? TokenErrors.Device(context.Token, $"{operation} needs the admin PIN, which the card did not accept as verified", StatusWords.Format(response.StatusWord))
                : context.Unexpected(response.StatusWord, operation);
        }

        try
        {
            var key = Ber.Find(Ber.ReadAll(Ber.Unwrap(response.Data, 0x7F49)), 0x86) ?? throw new InvalidDataException("no public key (86) in 7F49");
            return key switch
            {
                { Length: Ed25519Check.PublicKeyLength } => key,
                { Length: Ed25519Check.PublicKeyLength + 1 } when key[0] == 0x40 => key[1..],
                _ => throw new InvalidDataException($"an Ed25519 public key of {key.Length} bytes"),
            };
        }
        catch (InvalidDataException e)
        {
            throw context.Malformed(operation, e);
        }
    }

    /// <summary>
    /// <c>00 DB 3F FF Lc 4D 2A CRT 00 7F48 02 92 20 5F48 20 seed</c>: the extended header list of §4.4.3.12 with the
    /// Ed25519 seed as the private key (92), as ykman and GnuPG import it; needs PW3. With <paramref name="publicKey"/>
    /// (cards whose attributes end in FF): <c>4D 4D CRT 00 7F48 04 92 20 99 21 5F48 41 seed 40 A</c>, the point as
    /// GnuPG writes it. Zeroed after sending.
    /// </summary>
    public static PgpCommand Import(OpenPgpKeySlot slot, ReadOnlySpan<byte> seed, ReadOnlySpan<byte> publicKey = default)
    {
        if (seed.Length != 32)
        {
            throw new ArgumentException("an Ed25519 seed is 32 bytes", nameof(seed));
        }

        if (publicKey.IsEmpty)
        {
            var data = GC.AllocateArray<byte>(44, pinned: true);
            ReadOnlySpan<byte> header = [0x4D, 0x2A, slot.CrtTag, 0x00, 0x7F, 0x48, 0x02, 0x92, 0x20, 0x5F, 0x48, 0x20];
            header.CopyTo(data);
            seed.CopyTo(data.AsSpan(header.Length));
            return new PgpCommand(0x00, 0xDB, 0x3F, 0xFF, data, sensitive: true);
        }

        if (publicKey.Length != Ed25519Check.PublicKeyLength)
        {
            throw new ArgumentException("an Ed25519 public key is 32 bytes", nameof(publicKey));
        }

        var withKey = GC.AllocateArray<byte>(79, pinned: true);
        ReadOnlySpan<byte> head = [0x4D, 0x4D, slot.CrtTag, 0x00, 0x7F, 0x48, 0x04, 0x92, 0x20, 0x99, 0x21, 0x5F, 0x48, 0x41];
        head.CopyTo(withKey);
        seed.CopyTo(withKey.AsSpan(head.Length));
        withKey[head.Length + 32] = 0x40;
        publicKey.CopyTo(withKey.AsSpan(head.Length + 33));
        return new PgpCommand(0x00, 0xDB, 0x3F, 0xFF, withKey, sensitive: true);
    }

    public static void ParseImport(ResponseApdu response, OpenPgpErrorContext context)
    {
        if (!response.IsSuccess)
        {
            throw response.StatusWord == StatusWords.SecurityStatusNotSatisfied
                ? TokenErrors.Device(context.Token, "the key import needs the admin PIN, which the card did not accept as verified", StatusWords.Format(response.StatusWord))
                : context.Unexpected(response.StatusWord, "key import (PUT DATA 3FFF)");
        }
    }
}
