using System.Security.Cryptography;
using KeyCustody.HwSim.Tests.Support;
using NSec.Cryptography;

namespace KeyCustody.HwSim.Tests.OpenPgp;

/// <summary>Generate, import, PSO:CDS, INTERNAL AUTHENTICATE and PSO:DECIPHER, checked with NSec and .NET.</summary>
public sealed class KeyOperationTests : IDisposable
{
    // RFC 8032 §7.1 TEST 2: one-byte message 72.
    private const string Rfc8032Seed = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
    private const string Rfc8032Public = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
    private const string Rfc8032Signature =
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00";

    private VirtualCard _card = TestCards.Create(profile: CardProfile.YubiKey543);
    private PgpHost _host;

    public KeyOperationTests()
    {
        _host = new PgpHost(_card.Connect());
        _host.Select();
        _host.VerifyAdmin();
    }

    [Fact]
    public void An_imported_rfc_8032_key_signs_the_data_field_as_the_message_nothing_hashed()
    {
        _host.SetAttributes(0xC1, PgpTemplates.Ed25519);
        Assert.Equal(0x9000, _host.Exchange(0xDB, 0x3F, 0xFF, PgpTemplates.Ecc(0xB6, Convert.FromHexString(Rfc8032Seed))).Sw);
        var (data, sw) = _host.Exchange(0x47, 0x81, 0x00, [0xB6, 0x00]);
        Assert.Equal(0x9000, sw);
        Assert.Equal("7f49228620" + Rfc8032Public, Convert.ToHexStringLower(data));
        Assert.Equal("01 02 02 00 03 00 81 02", Hex.Format(_host.GetData(0xDE)));

        _host.VerifyUser(0x81);
        var (signature, signSw) = _host.Sign([0x72]);
        Assert.Equal(0x9000, signSw);
        Assert.Equal(Rfc8032Signature, Convert.ToHexStringLower(signature));
        Assert.Equal("7A 05 93 03 00 00 01", Hex.Format(_host.GetData(0x7A)));
    }

    [Fact]
    public void A_generated_ed25519_key_signs_3070_bytes_chained_or_extended_and_refuses_3071()
    {
        _host.SetAttributes(0xC1, PgpTemplates.Ed25519);
        var publicKey = NSec.Cryptography.PublicKey.Import(SignatureAlgorithm.Ed25519, _host.Generate(0xB6), KeyBlobFormat.RawPublicKey);
        _host.VerifyUser(0x81);
        var message = RandomNumberGenerator.GetBytes(3070);
        var (chained, sw) = _host.Sign(message);
        Assert.Equal(0x9000, sw);
        Assert.True(SignatureAlgorithm.Ed25519.Verify(publicKey, message, chained));
        var (extended, extendedSw) = _host.ExchangeExtended(0x2A, 0x9E, 0x9A, message);
        Assert.Equal(0x9000, extendedSw);
        Assert.Equal(chained, extended);

        Assert.Equal(0x6700, _host.ExchangeExtended(0x2A, 0x9E, 0x9A, RandomNumberGenerator.GetBytes(3071)).Sw);
        Assert.Equal(0x6700, _host.Sign(RandomNumberGenerator.GetBytes(3071)).Sw);
        Assert.Equal("00 00 02", Hex.Format(_host.GetData(0x93)));
    }

    [Fact]
    public void A_nitrokey_3_signs_1024_bytes_and_answers_6a84_above_counting_the_attempt()
    {
        UseCard(TestCards.Create(profile: CardProfile.Nitrokey3));
        _host.VerifyAdmin();
        _host.SetAttributes(0xC1, PgpTemplates.Ed25519);
        var publicKey = NSec.Cryptography.PublicKey.Import(SignatureAlgorithm.Ed25519, _host.Generate(0xB6), KeyBlobFormat.RawPublicKey);
        _host.Expect("00 CA 00 C4 00", "00 7F 7F 7F 03 00 03 90 00");
        var message = RandomNumberGenerator.GetBytes(1024);
        _host.VerifyUser(0x81);
        var (signature, sw) = _host.ExchangeExtended(0x2A, 0x9E, 0x9A, message);
        Assert.Equal(0x9000, sw);
        Assert.True(SignatureAlgorithm.Ed25519.Verify(publicKey, message, signature));

        // PW1 is valid for one signature on a Nitrokey 3 (C4 00): the next one needs VERIFY again.
        Assert.Equal(0x6982, _host.ExchangeExtended(0x2A, 0x9E, 0x9A, message).Sw);
        _host.VerifyUser(0x81);
        Assert.Equal(0x6A84, _host.ExchangeExtended(0x2A, 0x9E, 0x9A, RandomNumberGenerator.GetBytes(1025)).Sw);
        Assert.Equal("00 00 02", Hex.Format(_host.GetData(0x93)));
    }

    [Fact]
    public void Pw1_valid_for_one_signature_is_consumed_by_each_signature_when_c4_says_so()
    {
        _host.SetAttributes(0xC1, PgpTemplates.Ed25519);
        _host.Generate(0xB6);
        _host.VerifyUser(0x81);
        Assert.Equal(0x9000, _host.Sign([1]).Sw);
        Assert.Equal(0x9000, _host.Sign([2]).Sw);
        Assert.Equal(0x9000, _host.PutData(0xC4, [0x00]));
        Assert.Equal("00 7F 7F 7F 03 00 03", Hex.Format(_host.GetData(0xC4)));
        _host.VerifyUser(0x81);
        Assert.Equal(0x9000, _host.Sign([3]).Sw);
        Assert.Equal(0x6982, _host.Sign([4]).Sw);
        Assert.Equal("00 00 03", Hex.Format(_host.GetData(0x93)));

        // A new signature key starts a new count.
        _host.Generate(0xB6);
        Assert.Equal("00 00 00", Hex.Format(_host.GetData(0x93)));
    }

    [Fact]
    public void Internal_authenticate_signs_with_the_authentication_key_after_verify_82()
    {
        _host.SetAttributes(0xC3, PgpTemplates.Ed25519);
        var publicKey = NSec.Cryptography.PublicKey.Import(SignatureAlgorithm.Ed25519, _host.Generate(0xA4), KeyBlobFormat.RawPublicKey);
        var message = RandomNumberGenerator.GetBytes(600);
        _host.VerifyUser(0x81);
        Assert.Equal(0x6982, _host.Authenticate(message).Sw);
        _host.VerifyUser(0x82);
        var (signature, sw) = _host.Authenticate(message);
        Assert.Equal(0x9000, sw);
        Assert.True(SignatureAlgorithm.Ed25519.Verify(publicKey, message, signature));
        Assert.Equal("00 00 00", Hex.Format(_host.GetData(0x93)));
    }

    [Fact]
    public void X25519_deciphers_a_cipher_do_into_the_shared_secret()
    {
        _host.SetAttributes(0xC2, PgpTemplates.X25519);
        var cardPublic = NSec.Cryptography.PublicKey.Import(KeyAgreementAlgorithm.X25519, _host.Generate(0xB8), KeyBlobFormat.RawPublicKey);
        using var ephemeral = Key.Create(KeyAgreementAlgorithm.X25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        var ephemeralPublic = ephemeral.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        var parameters = new SharedSecretCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };
        using var expected = KeyAgreementAlgorithm.X25519.Agree(ephemeral, cardPublic, in parameters)!;

        _host.VerifyUser(0x82);
        byte[] cipher = [0xA6, 0x25, 0x7F, 0x49, 0x22, 0x86, 0x20, .. ephemeralPublic];
        var (shared, sw) = _host.Exchange(0x2A, 0x80, 0x86, cipher);
        Assert.Equal(0x9000, sw);
        Assert.Equal(expected.Export(SharedSecretBlobFormat.RawSharedSecret), shared);
        Assert.Equal(0x6A80, _host.Exchange(0x2A, 0x80, 0x86, [0xA6, 0x04, 0x7F, 0x49, 0x01, 0x86]).Sw);
    }

    [Fact]
    public void Manage_security_environment_exists_on_a_nitrokey_3_only_and_a_curve25519_key_cannot_sign()
    {
        _host.Expect("00 22 41 A4 03 83 01 02", "6D 00");
        UseCard(TestCards.Create(profile: CardProfile.Nitrokey3));
        _host.VerifyAdmin();
        _host.SetAttributes(0xC2, PgpTemplates.X25519);
        _host.Generate(0xB8);
        _host.SetAttributes(0xC3, PgpTemplates.Ed25519);
        _host.Generate(0xA4);
        _host.VerifyUser(0x82);
        _host.Expect("00 22 41 A4 03 83 01 02", "90 00");
        Assert.Equal(0x6985, _host.Authenticate(new byte[32]).Sw);
        _host.Expect("00 22 41 B8 03 83 01 03", "90 00");
        Assert.Equal(0x6985, _host.Exchange(0x2A, 0x80, 0x86, [0xA6, 0x25, 0x7F, 0x49, 0x22, 0x86, 0x20, .. new byte[32]]).Sw);
        _host.Select();
        Assert.Equal(0x9000, _host.Authenticate(new byte[32]).Sw);
    }

    [Fact]
    public void An_imported_x25519_scalar_is_taken_big_endian_as_gnupg_stores_it()
    {
        _host.SetAttributes(0xC2, PgpTemplates.X25519);
        var scalar = RandomNumberGenerator.GetBytes(32);
        using var key = Key.Import(KeyAgreementAlgorithm.X25519, scalar, KeyBlobFormat.RawPrivateKey);
        var bigEndian = scalar.Reverse().ToArray();
        Assert.Equal(0x9000, _host.Exchange(0xDB, 0x3F, 0xFF, PgpTemplates.Ecc(0xB8, bigEndian)).Sw);
        var (data, _) = _host.Exchange(0x47, 0x81, 0x00, [0xB8, 0x00]);
        Assert.Equal(key.PublicKey.Export(KeyBlobFormat.RawPublicKey), PublicKeyTemplate.Point(data));
    }

    [Fact]
    public void Rsa_2048_generated_signs_a_digest_info_and_deciphers_pkcs1()
    {
        var modulus = _host.Generate(0xB6);
        Assert.Equal(256, modulus.Length);
        using var rsa = RSA.Create(new RSAParameters { Modulus = modulus, Exponent = [0x01, 0x00, 0x01] });
        var digest = SHA256.HashData("hello"u8);
        byte[] digestInfo = [.. Convert.FromHexString("3031300d060960864801650304020105000420"), .. digest];
        _host.VerifyUser(0x81);
        var (signature, sw) = _host.Sign(digestInfo);
        Assert.Equal(0x9000, sw);
        Assert.True(rsa.VerifyHash(digest, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

        var decryptionModulus = _host.Generate(0xB8);
        using var encryptor = RSA.Create(new RSAParameters { Modulus = decryptionModulus, Exponent = [0x01, 0x00, 0x01] });
        var secret = RandomNumberGenerator.GetBytes(32);
        var cryptogram = encryptor.Encrypt(secret, RSAEncryptionPadding.Pkcs1);
        _host.VerifyUser(0x82);
        var (plain, decipherSw) = _host.Exchange(0x2A, 0x80, 0x86, [0x00, .. cryptogram]);
        Assert.Equal(0x9000, decipherSw);
        Assert.Equal(secret, plain);
    }

    [Fact]
    public void An_imported_rsa_key_signs_exactly_as_the_host_key()
    {
        using var host = RSA.Create(2048);
        var parameters = host.ExportParameters(true);
        Assert.Equal(0x9000, _host.Exchange(0xDB, 0x3F, 0xFF, PgpTemplates.Rsa(0xB6, parameters.Exponent!, parameters.P!, parameters.Q!)).Sw);
        var digest = SHA256.HashData("matrix"u8);
        byte[] digestInfo = [.. Convert.FromHexString("3031300d060960864801650304020105000420"), .. digest];
        _host.VerifyUser(0x81);
        var (signature, sw) = _host.Sign(digestInfo);
        Assert.Equal(0x9000, sw);
        Assert.Equal(host.SignHash(digest, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), signature);
    }

    [Fact]
    public void P256_signs_a_digest_as_r_and_s_and_agrees_with_ecdh()
    {
        _host.SetAttributes(0xC1, PgpTemplates.EcdsaP256);
        var point = _host.Generate(0xB6);
        using var verifier = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = point[1..33], Y = point[33..] },
        });
        var digest = SHA256.HashData("p256"u8);
        _host.VerifyUser(0x81);
        var (signature, sw) = _host.Sign(digest);
        Assert.Equal(0x9000, sw);
        Assert.Equal(64, signature.Length);
        Assert.True(verifier.VerifyHash(digest, signature, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
        Assert.Equal(0x6A80, _host.Sign(new byte[33]).Sw);

        _host.SetAttributes(0xC2, PgpTemplates.EcdhP256);
        var decryption = _host.Generate(0xB8);
        using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var ephemeralPoint = ephemeral.ExportParameters(false).Q;
        using var card = ECDiffieHellman.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = decryption[1..33], Y = decryption[33..] },
        });
        byte[] encoded = [0x04, .. ephemeralPoint.X!, .. ephemeralPoint.Y!];
        byte[] cipher = [0xA6, 0x46, 0x7F, 0x49, 0x43, 0x86, 0x41, .. encoded];
        _host.VerifyUser(0x82);
        var (shared, decipherSw) = _host.Exchange(0x2A, 0x80, 0x86, cipher);
        Assert.Equal(0x9000, decipherSw);
        Assert.Equal(ephemeral.DeriveRawSecretAgreement(card.PublicKey), shared);
    }

    [Fact]
    public void Refusals_need_no_touch_and_change_nothing()
    {
        Assert.Equal(0x6A80, _host.Exchange(0xDB, 0x3F, 0xFF, PgpTemplates.Ecc(0xB6, new byte[32])).Sw);
        _host.Expect("00 47 81 00 02 B6 00 00", "6A 88");
        _host.Expect("00 47 80 00 02 B7 00 00", "6A 80");
        _host.Expect("00 47 82 00 02 B6 00 00", "6B 00");
        Assert.Equal(0x6A80, _host.PutData(0xC2, Hex.Parse(PgpTemplates.Ed25519)));
        Assert.Equal(0x6A80, _host.PutData(0xC1, Hex.Parse(PgpTemplates.X25519)));
        Assert.Equal(0x6A80, _host.PutData(0xC1, Hex.Parse("01 04 00 00 11 00")));
        _host.VerifyUser(0x81);
        Assert.Equal(0x6A88, _host.Sign([1]).Sw);
        _host.Expect("00 2A 86 80 00", "6B 00");
        Assert.Equal(0, _card.Button.Requests);

        UseCard(TestCards.Create(profile: CardProfile.YubiKey543));
        Assert.Equal(0x6982, _host.Exchange(0x47, 0x80, 0x00, [0xB6, 0x00]).Sw);
        Assert.Equal(0x6982, _host.Exchange(0xDB, 0x3F, 0xFF, PgpTemplates.Ecc(0xB6, new byte[32])).Sw);
    }

    [Fact]
    public void Changing_the_attributes_deletes_the_key_and_its_fingerprint_and_the_same_attributes_keep_it()
    {
        _host.SetAttributes(0xC1, PgpTemplates.Ed25519);
        _host.Generate(0xB6);
        Assert.Equal(0x9000, _host.PutData(0xC7, Enumerable.Repeat((byte)0xAB, 20).ToArray()));
        _host.SetAttributes(0xC1, PgpTemplates.Ed25519);
        Assert.StartsWith("01 01", Hex.Format(_host.GetData(0xDE)), StringComparison.Ordinal);
        _host.SetAttributes(0xC1, "01 08 00 00 11 00");
        Assert.StartsWith("01 00", Hex.Format(_host.GetData(0xDE)), StringComparison.Ordinal);
        Assert.Equal(new byte[20], _host.GetData(0xC5)[..20]);
    }

    [Fact]
    public void A_nitrokey_3_wants_the_public_key_with_an_ecc_import()
    {
        UseCard(TestCards.Create(profile: CardProfile.Nitrokey3));
        _host.VerifyAdmin();
        _host.SetAttributes(0xC1, PgpTemplates.Ed25519);
        var seed = Convert.FromHexString(Rfc8032Seed);
        Assert.Equal(0x6A80, _host.Exchange(0xDB, 0x3F, 0xFF, PgpTemplates.Ecc(0xB6, seed)).Sw);
        Assert.Equal(0x6A80, _host.Exchange(0xDB, 0x3F, 0xFF, PgpTemplates.Ecc(0xB6, seed, [0x40, .. new byte[32]])).Sw);
        Assert.Equal(0x9000, _host.Exchange(0xDB, 0x3F, 0xFF, PgpTemplates.Ecc(0xB6, seed, [0x40, .. Convert.FromHexString(Rfc8032Public)])).Sw);
    }

    public void Dispose() => _card.Dispose();

    private void UseCard(VirtualCard card)
    {
        _card.Dispose();
        _card = card;
        _host = new PgpHost(card.Connect());
        _host.Select();
    }
}
