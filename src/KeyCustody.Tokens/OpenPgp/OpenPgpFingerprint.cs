using System.Security.Cryptography;

namespace KeyCustody.Tokens.OpenPgp;

/// <summary>
/// The OpenPGP v4 fingerprint (RFC 4880 §12.2) of an Ed25519 key as GnuPG makes it (EdDSA, algorithm 22, the curve
/// OID and the point 0x40‖A as a 263-bit MPI). Written to the card after generation or import, with the creation
/// time, so GnuPG and OpenSC see the key; KeyCustody itself identifies keys by their public key.
/// </summary>
internal static class OpenPgpFingerprint
{
    private static readonly byte[] Ed25519Oid = [0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01];

    public static byte[] Ed25519(ReadOnlySpan<byte> publicKey, uint created)
    {
        if (publicKey.Length != Ed25519Check.PublicKeyLength)
        {
            throw new ArgumentException("an Ed25519 public key is 32 bytes", nameof(publicKey));
        }

        // Public-key packet body: version 4, creation time, algorithm 22, OID length and OID, MPI of 0x40‖A (263 bits).
        var body = new List<byte> { 0x04, (byte)(created >> 24), (byte)(created >> 16), (byte)(created >> 8), (byte)created, 22, (byte)Ed25519Oid.Length };
        body.AddRange(Ed25519Oid);
        body.AddRange([0x01, 0x07, 0x40]);
        body.AddRange(publicKey.ToArray());
        var hashed = new List<byte> { 0x99, (byte)(body.Count >> 8), (byte)body.Count };
        hashed.AddRange(body);
#pragma warning disable CA5350 // SHA-1 is what a v4 fingerprint is; it names the key, it protects nothing.
        return SHA1.HashData(hashed.ToArray());
#pragma warning restore CA5350
    }
}
