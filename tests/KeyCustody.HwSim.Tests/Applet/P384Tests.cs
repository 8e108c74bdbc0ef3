using System.Security.Cryptography;
using KeyCustody.HwSim.Tests.Support;

namespace KeyCustody.HwSim.Tests.Applet;

/// <summary>ECC P-384 (algorithm 14): ECDSA over a host digest of at most 48 bytes, ECDH, import.</summary>
public sealed class P384Tests : CardTest
{
    [Fact]
    public void Generate_returns_a_97_byte_point_and_metadata_says_14()
    {
        Assert.Equal(0x9000, Host.Authenticate());
        var response = Host.SendRaw(Hex.Parse("00 47 00 9A 05 AC 03 80 01 14"));
        Assert.Equal("7F 49 63 86 61 04", Hex.Format(response[..6]));
        Assert.Equal(0x9000, PivHost.Sw(response));
        Host.Expect("00 F7 00 9A", "01 01 14 02 02 02 01 03 01 01 04 63 86 61 " + Hex.Format(response[5..102]) + " 90 00");
    }

    [Fact]
    public void Sha384_and_shorter_sha256_digests_are_signed_as_ecdsa_der()
    {
        using var publicKey = PublicKey(Generate(0x9C, 0x14, pin: 0x01));
        foreach (var digest in new[] { SHA384.HashData("p-384"u8), SHA256.HashData("p-384"u8) })
        {
            var (data, sw) = Sign(0x14, 0x9C, digest);
            Assert.Equal(0x9000, sw);
            var signature = SimpleTlv.Read(SimpleTlv.Read(data).Value).Value;
            Assert.Equal(0x30, signature[0]);
            Assert.True(publicKey.VerifyHash(digest, signature, DSASignatureFormat.Rfc3279DerSequence));
        }

        Assert.Equal(0x6A80, Sign(0x14, 0x9C, new byte[49]).Sw);
    }

    [Fact]
    public void Ecdh_returns_the_48_byte_shared_x_coordinate_and_refuses_a_p256_point()
    {
        var point = Generate(0x9D, 0x14, pin: 0x01);
        using var peer = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
        var q = peer.ExportParameters(false).Q;
        var (data, sw) = Host.Exchange(0x87, 0x14, 0x9D, GeneralAuthenticate(0x85, [0x04, .. q.X!, .. q.Y!]));
        Assert.Equal(0x9000, sw);
        Assert.Equal("7C 32 82 30", Hex.Format(data[..4]));
        using var cardKey = ECDiffieHellman.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP384,
            Q = new ECPoint { X = point[1..49], Y = point[49..] },
        });
        Assert.Equal(peer.DeriveRawSecretAgreement(cardKey.PublicKey), data[4..]);

        using var p256 = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var small = p256.ExportParameters(false).Q;
        Assert.Equal(0x6A80, Host.Exchange(0x87, 0x14, 0x9D, GeneralAuthenticate(0x85, [0x04, .. small.X!, .. small.Y!])).Sw);
    }

    [Fact]
    public void Imported_scalar_signs_for_the_host_key()
    {
        using var reference = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var parameters = reference.ExportParameters(true);
        Assert.Equal(0x9000, Host.Authenticate());
        Host.Expect("00 FE 14 9A 35 06 30 " + Hex.Format(parameters.D) + " AA 01 01", "90 00");
        var digest = SHA384.HashData("imported p-384"u8);
        var (data, sw) = Sign(0x14, 0x9A, digest);
        Assert.Equal(0x9000, sw);
        Assert.True(reference.VerifyHash(digest, SimpleTlv.Read(SimpleTlv.Read(data).Value).Value, DSASignatureFormat.Rfc3279DerSequence));
        Assert.Equal(0x6A80, PivHost.Sw(Host.SendRaw(Hex.Parse("00 FE 14 9A 22 06 20 " + Hex.Format(new byte[32])))));
    }

    private static ECDsa PublicKey(byte[] point) => ECDsa.Create(new ECParameters
    {
        Curve = ECCurve.NamedCurves.nistP384,
        Q = new ECPoint { X = point[1..49], Y = point[49..] },
    });
}
