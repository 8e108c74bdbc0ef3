using System.Diagnostics;
using System.Security.Cryptography;
using KeyCustody.HwSim.Tests.Support;
using NSec.Cryptography;

namespace KeyCustody.HwSim.Tests.Applet;

public sealed class SignTests : CardTest
{
    [Fact]
    public void Ed25519_signs_hello_with_the_exact_doc_apdu_and_nsec_verifies()
    {
        var publicKey = Generate(0x9C, 0xE0, pin: 0x01);
        var response = Host.SendRaw(Hex.Parse("00 87 E0 9C 0B 7C 09 82 00 81 05 68 65 6C 6C 6F"));
        Assert.Equal("7C 42 82 40", Hex.Format(response[..4]));
        Assert.Equal(0x9000, PivHost.Sw(response));
        Assert.Equal(70, response.Length);
        var key = NSec.Cryptography.PublicKey.Import(SignatureAlgorithm.Ed25519, publicKey, KeyBlobFormat.RawPublicKey);
        Assert.True(SignatureAlgorithm.Ed25519.Verify(key, "hello"u8, response[4..68]));
        Assert.False(SignatureAlgorithm.Ed25519.Verify(key, "hellO"u8, response[4..68]));
    }

    [Fact]
    public void Ed25519_message_of_1000_bytes_is_chained_in_255_byte_chunks()
    {
        var publicKey = Generate(0x9A, 0xE0, pin: 0x01);
        var message = RandomNumberGenerator.GetBytes(1000);
        Host.Log.Clear();
        var (signature, sw) = Sign(0xE0, 0x9A, message);
        Assert.Equal(0x9000, sw);
        Assert.Equal(["10 87 E0 9A FF", "10 87 E0 9A FF", "10 87 E0 9A FF", "00 87 E0 9A F5"], Host.Log.Select(l => l.Command[..14]).ToList());
        Assert.StartsWith("10 87 E0 9A FF 7C 82 03 EE 82 00 81 82 03 E8", Host.Log[0].Command, StringComparison.Ordinal);
        Assert.Equal(["90 00", "90 00", "90 00"], Host.Log.Take(3).Select(l => l.Response).ToList());
        var key = NSec.Cryptography.PublicKey.Import(SignatureAlgorithm.Ed25519, publicKey, KeyBlobFormat.RawPublicKey);
        Assert.True(SignatureAlgorithm.Ed25519.Verify(key, message, signature[4..]));
    }

    [Fact]
    // Debian's python3-nacl lives with /usr/bin/python3 (a pyenv python3 on PATH would not have it).
    public void Ed25519_signatures_of_3000_byte_messages_verify_with_python_nacl()
    {
        var publicKey = Generate(0x9A, 0xE0, pin: 0x01);
        var message = RandomNumberGenerator.GetBytes(3000);
        var (signature, sw) = Sign(0xE0, 0x9A, message);
        Assert.Equal(0x9000, sw);
        var script = "import sys,nacl.signing as s;"
            + "k=s.VerifyKey(bytes.fromhex(sys.argv[1]));k.verify(bytes.fromhex(sys.argv[2]),bytes.fromhex(sys.argv[3]));print('ok')";
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-c", script, Convert.ToHexString(publicKey), Convert.ToHexString(message), Convert.ToHexString(signature[4..]) })
        {
            start.ArgumentList.Add(argument);
        }

        using var python = Process.Start(start)!;
        var output = python.StandardOutput.ReadToEnd();
        var error = python.StandardError.ReadToEnd();
        python.WaitForExit();
        Assert.True(python.ExitCode == 0, error);
        Assert.Equal("ok", output.Trim());
    }

    [Fact]
    public void Messages_beyond_the_card_buffer_are_refused()
    {
        Generate(0x9A, 0xE0, pin: 0x01);
        var (_, sw) = Sign(0xE0, 0x9A, new byte[3100]);
        Assert.Equal(0x6700, sw);
    }

    [Fact]
    public void Ecdsa_p256_signs_a_digest_as_der()
    {
        var point = Generate(0x9A, 0x11);
        Host.VerifyPin();
        var digest = SHA256.HashData("to be signed"u8);
        var (data, sw) = Sign(0x11, 0x9A, digest);
        Assert.Equal(0x9000, sw);
        Assert.Equal(0x7C, data[0]);
        Assert.Equal(0x82, data[2]);
        Assert.Equal(0x30, data[4]);
        using var ecdsa = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = point[1..33], Y = point[33..] },
        });
        Assert.True(ecdsa.VerifyHash(digest, data[4..], DSASignatureFormat.Rfc3279DerSequence));
    }

    [Fact]
    public void X25519_agreement_matches_the_host_side()
    {
        var cardPublic = Generate(0x9D, 0xE1);
        Host.VerifyPin();
        using var peer = Key.Create(KeyAgreementAlgorithm.X25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        var peerPublic = peer.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        var (data, sw) = Host.Exchange(0x87, 0xE1, 0x9D, GeneralAuthenticate(0x85, peerPublic));
        Assert.Equal(0x9000, sw);
        Assert.Equal("7C 22 82 20", Hex.Format(data[..4]));
        var parameters = new SharedSecretCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };
        using var expected = KeyAgreementAlgorithm.X25519.Agree(peer, NSec.Cryptography.PublicKey.Import(KeyAgreementAlgorithm.X25519, cardPublic, KeyBlobFormat.RawPublicKey), in parameters)!;
        Assert.Equal(expected.Export(SharedSecretBlobFormat.RawSharedSecret), data[4..]);
    }

    [Fact]
    public void P256_ecdh_returns_the_shared_x_coordinate()
    {
        var point = Generate(0x9D, 0x11);
        Host.VerifyPin();
        using var peer = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var q = peer.ExportParameters(false).Q;
        var (data, sw) = Host.Exchange(0x87, 0x11, 0x9D, GeneralAuthenticate(0x85, [0x04, .. q.X!, .. q.Y!]));
        Assert.Equal(0x9000, sw);
        using var cardKey = ECDiffieHellman.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = point[1..33], Y = point[33..] },
        });
        Assert.Equal(peer.DeriveRawSecretAgreement(cardKey.PublicKey), data[4..]);
    }

    [Theory]
    [InlineData("00 87 11 9C 0B 7C 09 82 00 81 05 68 65 6C 6C 6F")]
    [InlineData("00 87 E0 9A 0B 7C 09 82 00 81 05 68 65 6C 6C 6F")]
    [InlineData("00 87 E0 9C 09 7C 07 82 00 85 03 01 02 03")]
    [InlineData("00 87 E0 9C 09 7C 07 81 05 68 65 6C 6C 6F")]
    [InlineData("00 87 E0 9C 06 7C 04 82 00 81 01")]
    public void Mismatched_algorithm_empty_slot_or_wrong_operation_is_6a80(string command)
    {
        Generate(0x9C, 0xE0, pin: 0x01);
        Host.Expect(command, "6A 80");
    }

    [Fact]
    public void X25519_cannot_sign_and_ed25519_cannot_agree()
    {
        Generate(0x9D, 0xE1, pin: 0x01);
        Host.Expect("00 87 E1 9D 0B 7C 09 82 00 81 05 68 65 6C 6C 6F", "6A 80");
        Generate(0x9C, 0xE0, pin: 0x01);
        var (_, sw) = Host.Exchange(0x87, 0xE0, 0x9C, GeneralAuthenticate(0x85, new byte[32]));
        Assert.Equal(0x6A80, sw);
    }

    [Fact]
    public void P256_sign_refuses_inputs_longer_than_the_field() =>
        Assert.Equal(0x6A80, SignAfterGenerate(0x11, new byte[33]));

    private ushort SignAfterGenerate(byte algorithm, byte[] input)
    {
        Generate(0x9A, algorithm, pin: 0x01);
        return Sign(algorithm, 0x9A, input).Sw;
    }
}
