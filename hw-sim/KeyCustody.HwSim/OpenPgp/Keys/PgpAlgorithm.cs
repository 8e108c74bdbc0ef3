using KeyCustody.HwSim.Applet;

namespace KeyCustody.HwSim.OpenPgp.Keys;

/// <summary>
/// One algorithm the applet implements, as its algorithm attributes DO (C1-C3, DA) names it: RSA 2048/3072/4096, ECDSA or
/// ECDH on P-256/P-384, EdDSA on Ed25519, ECDH on Curve25519 (3.4 §4.4.3.10; the OIDs are RFC 6637's and GnuPG's).
/// </summary>
internal sealed record PgpAlgorithm(byte Id, int RsaBits, byte[] Oid)
{
    public const byte Rsa = 0x01;
    public const byte Ecdh = 0x12;
    public const byte Ecdsa = 0x13;
    public const byte EdDsa = 0x16;

    public static readonly byte[] P256Oid = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
    public static readonly byte[] P384Oid = [0x2B, 0x81, 0x04, 0x00, 0x22];
    public static readonly byte[] Ed25519Oid = [0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01];
    public static readonly byte[] X25519Oid = [0x2B, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05, 0x01];

    public static PgpAlgorithm Rsa2048 { get; } = new(Rsa, 2048, []);

    /// <summary>Every algorithm the card implements, in the order DO FA lists them.</summary>
    public static IReadOnlyList<PgpAlgorithm> Implemented { get; } =
    [
        Rsa2048, new(Rsa, 3072, []), new(Rsa, 4096, []),
        new(Ecdsa, 0, P256Oid), new(Ecdsa, 0, P384Oid), new(Ecdh, 0, P256Oid), new(Ecdh, 0, P384Oid),
        new(EdDsa, 0, Ed25519Oid), new(Ecdh, 0, X25519Oid),
    ];

    public bool IsRsa => Id == Rsa;

    /// <summary>The same key type in hw-sim's key classes (shared with PIV, which numbers them the same way).</summary>
    public KeyAlgorithm KeyType => Id switch
    {
        Rsa => RsaBits switch { 2048 => KeyAlgorithm.Rsa2048, 3072 => KeyAlgorithm.Rsa3072, _ => KeyAlgorithm.Rsa4096 },
        EdDsa => KeyAlgorithm.Ed25519,
        _ when Oid.AsSpan().SequenceEqual(X25519Oid) => KeyAlgorithm.X25519,
        _ when Oid.AsSpan().SequenceEqual(P256Oid) => KeyAlgorithm.EccP256,
        _ => KeyAlgorithm.EccP384,
    };

    /// <summary>What the key may hold: signing algorithms for SIG/AUT/ATT (ATT no curve25519), key agreement for DEC.</summary>
    public bool FitsKey(PgpKey key) => key switch
    {
        PgpKey.Decryption => Id is Rsa or Ecdh,
        PgpKey.Attestation => Id is Rsa or Ecdsa,
        _ => Id is Rsa or Ecdsa or EdDsa,
    };

    /// <summary>
    /// Reads attributes: RSA <c>01 nbits(2) ebits(2) [format]</c> (any exponent length and import format: the card
    /// makes e = 65537 and stores p and q); ECC <c>id OID [00|FF]</c>. Null for anything the card does not implement.
    /// </summary>
    public static PgpAlgorithm? Parse(ReadOnlySpan<byte> attributes)
    {
        if (attributes.Length == 0)
        {
            return null;
        }

        if (attributes[0] == Rsa)
        {
            if (attributes.Length is not (5 or 6) || (attributes.Length == 6 && attributes[5] > 3))
            {
                return null;
            }

            int bits = (attributes[1] << 8) | attributes[2];
            return bits is 2048 or 3072 or 4096 ? new PgpAlgorithm(Rsa, bits, []) : null;
        }

        var oid = attributes[1..];
        if (oid.Length > 0 && oid[^1] is 0x00 or 0xFF && !IsKnownOid(oid))
        {
            oid = oid[..^1];
        }

        foreach (var candidate in Implemented)
        {
            if (candidate.Id == attributes[0] && candidate.Oid.AsSpan().SequenceEqual(oid))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>
    /// The attributes as the card reports them: RSA with the profile's exponent length and the standard import format;
    /// ECC with a trailing FF on cards that want the public key on import (opcard-rs), bare on the YubiKey.
    /// </summary>
    public byte[] Encode(OpenPgpProfile profile)
    {
        if (IsRsa)
        {
            return [Rsa, (byte)(RsaBits >> 8), (byte)RsaBits, (byte)(profile.RsaExponentBits >> 8), (byte)profile.RsaExponentBits, 0x00];
        }

        return profile.EcImportWithPublicKey ? [Id, .. Oid, 0xFF] : [Id, .. Oid];
    }

    public bool Equals(PgpAlgorithm? other) =>
        other is not null && Id == other.Id && RsaBits == other.RsaBits && Oid.AsSpan().SequenceEqual(other.Oid);

    public override int GetHashCode() => HashCode.Combine(Id, RsaBits, Oid.Length);

    private static bool IsKnownOid(ReadOnlySpan<byte> oid) =>
        oid.SequenceEqual(P256Oid) || oid.SequenceEqual(P384Oid) || oid.SequenceEqual(Ed25519Oid) || oid.SequenceEqual(X25519Oid);
}
