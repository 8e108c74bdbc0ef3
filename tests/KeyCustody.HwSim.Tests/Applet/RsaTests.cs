using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KeyCustody.HwSim.Tests.Support;

namespace KeyCustody.HwSim.Tests.Applet;

/// <summary>RSA 1024/2048/3072/4096: generation, import, the raw private operation on host-padded blocks, attestation.</summary>
public sealed class RsaTests : CardTest
{
    // DigestInfo prefix for SHA-256 (RFC 8017 section 9.2, note 1).
    private static readonly byte[] Sha256DigestInfo = Hex.Parse("30 31 30 0D 06 09 60 86 48 01 65 03 04 02 01 05 00 04 20");

    [Theory]
    [InlineData(0x06, 1024)]
    [InlineData(0x07, 2048)]
    [InlineData(0x05, 3072)]
    [InlineData(0x16, 4096)]
    public void Generated_key_has_e_65537_and_its_raw_operation_on_a_pkcs1_block_verifies(byte algorithm, int bits)
    {
        using var publicKey = GenerateRsa(0x9A, algorithm);
        Assert.Equal(bits, publicKey.KeySize);
        var metadata = Host.Send("00 F7 00 9A");
        Assert.StartsWith($"01 01 {algorithm:X2} 02 02 01 01 03 01 01 04", metadata);

        var digest = SHA256.HashData("signed by the card"u8);
        var (data, sw) = Sign((byte)algorithm, 0x9A, Pkcs1SignatureBlock(digest, bits / 8));
        Assert.Equal(0x9000, sw);
        var signature = SimpleTlv.Read(SimpleTlv.Read(data).Value).Value;
        Assert.Equal(bits / 8, signature.Length);
        Assert.True(publicKey.VerifyHash(digest, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    [Fact]
    public void Decryption_is_the_same_raw_operation_and_leaves_the_padding_to_the_host()
    {
        using var publicKey = GenerateRsa(0x9D, 0x07);
        var ciphertext = publicKey.Encrypt("key material"u8.ToArray(), RSAEncryptionPadding.Pkcs1);
        var (data, sw) = Sign(0x07, 0x9D, ciphertext);
        Assert.Equal(0x9000, sw);
        var block = SimpleTlv.Read(SimpleTlv.Read(data).Value).Value;
        Assert.Equal(256, block.Length);
        Assert.Equal("00 02", Hex.Format(block[..2]));
        Assert.Equal("key material"u8.ToArray(), block[(Array.IndexOf(block, (byte)0, 2) + 1)..]);
    }

    [Fact]
    public void Blocks_of_the_wrong_length_or_not_below_the_modulus_and_ecdh_are_6a80()
    {
        using var publicKey = GenerateRsa(0x9A, 0x06);
        Assert.Equal(0x6A80, Sign(0x06, 0x9A, new byte[127]).Sw);
        Assert.Equal(0x6A80, Sign(0x06, 0x9A, new byte[129]).Sw);
        Assert.Equal(0x6A80, Sign(0x06, 0x9A, Enumerable.Repeat((byte)0xFF, 128).ToArray()).Sw);
        Assert.Equal(0x6A80, Host.Exchange(0x87, 0x06, 0x9A, GeneralAuthenticate(0x85, new byte[65])).Sw);
        Assert.Equal(0x6A80, Sign(0x07, 0x9A, new byte[256]).Sw);
    }

    [Fact]
    public void Pin_policy_once_needs_the_pin_before_the_raw_operation()
    {
        Assert.Equal(0x9000, Host.Authenticate());
        var (_, generated) = Host.Exchange(0x47, 0x00, 0x9A, Hex.Parse("AC 03 80 01 06"));
        Assert.Equal(0x9000, generated);
        var block = Pkcs1SignatureBlock(SHA256.HashData("x"u8), 128);
        Assert.Equal(0x6982, Sign(0x06, 0x9A, block).Sw);
        Host.VerifyPin();
        Assert.Equal(0x9000, Sign(0x06, 0x9A, block).Sw);
    }

    [Fact]
    public void Imported_crt_components_sign_as_the_host_key_does()
    {
        using var reference = RSA.Create(2048);
        var p = reference.ExportParameters(true);
        Assert.Equal(0x9000, Host.Authenticate());
        // A 00 sign byte in front of p, as a canonical (signed) integer encoding would carry, is accepted.
        var (_, sw) = Host.Exchange(0xFE, 0x07, 0x9C, ImportTemplate(p, signByteOnP: true, policy: "AA 01 01"));
        Assert.Equal(0x9000, sw);
        var metadata = Host.Exchange(0xF7, 0x00, 0x9C, []).Data;
        Assert.Equal("01 01 07 02 02 01 01 03 01 02", Hex.Format(metadata[..10]));
        Assert.Equal(p.Modulus, PublicKeyTemplate.Inner(SimpleTlv.Read(metadata[10..]).Value)[0x81]);

        var digest = SHA256.HashData("imported"u8);
        var (data, signed) = Sign(0x07, 0x9C, Pkcs1SignatureBlock(digest, 256));
        Assert.Equal(0x9000, signed);
        var expected = reference.SignHash(digest, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        Assert.Equal(expected, SimpleTlv.Read(SimpleTlv.Read(data).Value).Value);
    }

    [Fact]
    public void Import_refuses_inconsistent_or_incomplete_components_and_the_wrong_size()
    {
        using var reference = RSA.Create(1024);
        var p = reference.ExportParameters(true);
        Assert.Equal(0x9000, Host.Authenticate());
        var badDp = p.DP!.ToArray();
        badDp[^1] ^= 0x02;
        Assert.Equal(0x6A80, Host.Exchange(0xFE, 0x06, 0x9A, ImportTemplate(p with { DP = badDp })).Sw);
        Assert.Equal(0x6A80, Host.Exchange(0xFE, 0x06, 0x9A, ImportTemplate(p, omitQInv: true)).Sw);
        var full = ImportTemplate(p);
        Assert.Equal(0x6A80, Host.Exchange(0xFE, 0x07, 0x9A, full).Sw);
        Host.Expect("00 F7 00 9A", "6A 88");
        Assert.Equal(0x9000, Host.Exchange(0xFE, 0x06, 0x9A, full).Sw);
    }

    [Fact]
    public void Rsa_key_attestation_carries_the_cards_rsa_public_key()
    {
        using var publicKey = GenerateRsa(0x9E, 0x07);
        var (der, sw) = Host.Exchange(0xF9, 0x9E, 0x00, []);
        Assert.Equal(0x9000, sw);
        using var statement = X509CertificateLoader.LoadCertificate(der);
        Assert.Equal("CN=YubiKey PIV Attestation 9e", statement.Subject);
        using var attested = statement.GetRSAPublicKey()!;
        Assert.Equal(publicKey.ExportParameters(false).Modulus, attested.ExportParameters(false).Modulus);
    }

    /// <summary>GENERATE with PIN policy never; returns the public key from the answer's 81 and 82.</summary>
    private RSA GenerateRsa(byte slot, byte algorithm)
    {
        Assert.Equal(0x9000, Host.Authenticate());
        var (data, sw) = Host.Exchange(0x47, 0x00, slot, Hex.Parse($"AC 06 80 01 {algorithm:X2} AA 01 01"));
        Assert.Equal(0x9000, sw);
        var fields = PublicKeyTemplate.Parse(data);
        Assert.Equal("01 00 01", Hex.Format(fields[0x82]));
        return RSA.Create(new RSAParameters { Modulus = fields[0x81], Exponent = fields[0x82] });
    }

    /// <summary>EMSA-PKCS1-v1_5 for SHA-256: 00 01 FF..FF 00 DigestInfo digest, as long as the modulus.</summary>
    private static byte[] Pkcs1SignatureBlock(byte[] digest, int length)
    {
        var block = Enumerable.Repeat((byte)0xFF, length).ToArray();
        block[0] = 0x00;
        block[1] = 0x01;
        var tail = Sha256DigestInfo.Concat(digest).ToArray();
        block[length - tail.Length - 1] = 0x00;
        tail.CopyTo(block, length - tail.Length);
        return block;
    }

    private static byte[] ImportTemplate(RSAParameters p, bool signByteOnP = false, string policy = "", bool omitQInv = false)
    {
        var body = new List<byte>();
        void Add(byte tag, byte[] value)
        {
            body.Add(tag);
            body.AddRange(Length(value.Length));
            body.AddRange(value);
        }

        Add(0x01, signByteOnP ? [0x00, .. p.P!] : p.P!);
        Add(0x02, p.Q!);
        Add(0x03, p.DP!);
        Add(0x04, p.DQ!);
        if (!omitQInv)
        {
            Add(0x05, p.InverseQ!);
        }

        body.AddRange(policy.Length == 0 ? [] : Hex.Parse(policy));
        return [.. body];
    }
}
