using System.Security.Cryptography;
using KeyCustody.HwSim.OpenPgp;
using KeyCustody.HwSim.Tests.OpenPgp;
using KeyCustody.HwSim.Tests.Support;
using NSec.Cryptography;

namespace KeyCustody.HwSim.Tests.Pcsc;

/// <summary>
/// Debian's OpenSC 0.23.0 against the simulated OpenPGP applet through pcscd: pkcs11-tool with opensc-pkcs11.so lists the
/// keys (one token per PIN: "OpenPGP card (User PIN)" holds DEC and AUT, "... (User PIN (sig))" the signature key) and
/// signs with EDDSA; openpgp-tool shows and erases the card. The keys are made on the card beforehand by the test's own
/// host (PgpHost), with fingerprints, because OpenSC lists only keys whose fingerprint (C5) is set.
/// </summary>
[Collection(PcscdCollection.Name)]
public sealed class OpenScTests : IDisposable
{
    private const string Module = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so";
    private const string UserToken = "OpenPGP card (User PIN)";
    private const string SignatureToken = "OpenPGP card (User PIN (sig))";

    private readonly PcscdFixture _fixture;
    private CardSetup? _current;

    public OpenScTests(PcscdFixture fixture)
    {
        _fixture = fixture;
    }

    [Fact]
    public void Pkcs11_tool_lists_the_openpgp_keys_of_a_yubikey_5_7_with_the_openpgp_driver_and_signs_with_eddsa()
    {
        var card = Use(CardProfile.YubiKey57, 23852780);

        // OpenSC tries its PIV driver before the OpenPGP one (ctx.c internal_card_drivers): a YubiKey with PIV is a PIV token.
        Assert.DoesNotContain(UserToken, card.Pkcs11(piv: true).Run("-L"));

        var pkcs11 = card.Pkcs11();
        var slots = pkcs11.Run("-L");
        Assert.Contains("token label        : " + SignatureToken, slots);
        Assert.Contains("token manufacturer : Yubico", slots);
        Assert.Contains("serial num         : 000623852780", slots);
        var objects = pkcs11.Run("--token-label", UserToken, "--login", "--pin", "123456", "-O");
        Assert.Contains("Private Key Object; EC_EDWARDS", objects);
        Assert.Contains("Private Key Object; EC_MONTGOMERY", objects);
        Assert.Contains("EC_POINT:   0420" + Convert.ToHexStringLower(card.PublicKey(PgpKey.Authentication)), objects);
        Assert.Contains("EC_POINT:   0420" + Convert.ToHexStringLower(card.PublicKey(PgpKey.Signature)),
            pkcs11.Run("--token-label", SignatureToken, "--login", "--pin", "123456", "-O"));

        var message = card.Write("message.bin", "a Matrix signing request"u8.ToArray());
        pkcs11.Run("--token-label", SignatureToken, "--login", "--pin", "123456", "--sign", "--mechanism", "EDDSA", "--id", "01", "-i", message, "-o", message + ".sig");
        card.AssertEd25519(PgpKey.Signature, message);
        Assert.Equal(1u, card.Card.State.OpenPgp.SignatureCounter);

        // INTERNAL AUTHENTICATE with the authentication key, 3000 bytes in one extended APDU (Lc 00 0B B8).
        var large = card.Write("large.bin", RandomNumberGenerator.GetBytes(3000));
        pkcs11.Run("--token-label", UserToken, "--login", "--pin", "123456", "--sign", "--mechanism", "EDDSA", "--id", "03", "-i", large, "-o", large + ".sig");
        card.AssertEd25519(PgpKey.Authentication, large);
        Assert.True(card.CountInPcscdLog("00 88 00 00 00 0B B8") >= 1);
    }

    [Fact]
    public void A_nitrokey_3_is_an_openpgp_token_without_a_driver_choice_and_refuses_eddsa_above_1024_bytes()
    {
        var card = Use(CardProfile.Nitrokey3, 0x0A0B0C0D);
        var pkcs11 = card.Pkcs11(piv: true);
        Assert.Contains("token label        : " + SignatureToken, pkcs11.Run("-L"));
        var message = card.Write("message.bin", RandomNumberGenerator.GetBytes(1024));
        pkcs11.Run("--token-label", SignatureToken, "--login", "--pin", "123456", "--sign", "--mechanism", "EDDSA", "--id", "01", "-i", message, "-o", message + ".sig");
        card.AssertEd25519(PgpKey.Signature, message);

        var tooLong = card.Write("too-long.bin", RandomNumberGenerator.GetBytes(1025));
        var refused = pkcs11.RunFailing("--token-label", SignatureToken, "--login", "--pin", "123456", "--sign", "--mechanism", "EDDSA", "--id", "01", "-i", tooLong, "-o", tooLong + ".sig");
        Assert.Contains("C_Sign", refused);
        Assert.False(File.Exists(tooLong + ".sig") && new FileInfo(tooLong + ".sig").Length > 0);
    }

    [Fact]
    public void Opensc_0_23_does_not_bind_a_yubikey_5_4_3_because_its_select_data_needs_yubicos_length_byte()
    {
        var card = Use(CardProfile.YubiKey543, 23852781);
        Assert.Contains("(token not recognized)", card.Pkcs11().Run("-L"));

        // pkcs15-openpgp.c 0.23.0 lines 559-565: SELECT DATA in the standard form, and any error ends the binding.
        Assert.True(card.CountInPcscdLog("00 A5 00 04 06 60 04 5C 02 7F 21") >= 1);
        Assert.Contains("APDU: 00 A5 00 04 06 60 04 5C 02 7F 21 \n", PcscdLogWithoutTimes(card));
        Assert.Contains("APDU: 00 A5 00 04 06 60 04 5C 02 7F 21 \nSW: 6A 80", PcscdLogWithoutTimes(card));
    }

    [Fact]
    public void Openpgp_tool_shows_the_card_and_its_keys_and_erases_it()
    {
        var card = Use(CardProfile.YubiKey57, 23852782);
        var tool = card.OpenPgpTool();
        var info = tool.Run("-C", "-K");
        Assert.Contains("AID:             d2:76:00:01:24:01:03:04:00:06:23:85:27:82:00:00", info);
        Assert.Contains("Manufacturer:    Yubico", info);
        Assert.Contains("Sig Algorithm:   EDDSA", info);
        Assert.Contains("Dec Algorithm:   ECDH", info);
        Assert.Contains("Sig Fingerprint: " + string.Join(':', card.Card.State.OpenPgp.Slot(PgpKey.Signature).Fingerprint.Select(b => b.ToString("x2"))), info);

        tool.Run("-E");
        Assert.Null(card.Card.State.OpenPgp.Slot(PgpKey.Signature).Key);
        Assert.False(card.Card.State.OpenPgp.Terminated);
    }

    public void Dispose() => _current?.Dispose();

    private static string PcscdLogWithoutTimes(CardSetup card) =>
        string.Join('\n', File.ReadAllLines(card.Pcscd.LogPath).Select(line => line.Length > 9 && line[8] == ' ' ? line[9..] : line));

    private CardSetup Use(CardProfile profile, uint serial)
    {
        var card = TestCards.Create(serial: serial, profile: profile);
        CardSetup.MakeKeys(card);
        _current = new CardSetup(_fixture, card);
        return _current;
    }

    /// <summary>A card with Ed25519 SIG/AUT and X25519 DEC keys and their fingerprints, behind pcscd.</summary>
    private sealed class CardSetup : CardBehindPcscd
    {
        public CardSetup(PcscdFixture fixture, VirtualCard card)
            : base(fixture, card)
        {
        }

        public static void MakeKeys(VirtualCard card)
        {
            var host = new PgpHost(card.Connect());
            host.Select();
            host.VerifyAdmin();
            foreach (var (attributes, crt, key) in new[] { (0xC1, (byte)0xB6, 0), (0xC2, (byte)0xB8, 1), (0xC3, (byte)0xA4, 2) })
            {
                host.SetAttributes(attributes, key == 1 ? PgpTemplates.X25519 : PgpTemplates.Ed25519);
                host.Generate(crt);
                Assert.Equal(0x9000, host.PutData(0xC7 + key, RandomNumberGenerator.GetBytes(20)));
                Assert.Equal(0x9000, host.PutData(0xCE + key, [0x65, 0x63, 0xD4, 0xC4]));
            }

            card.Unplug();
            card.Plug();
        }

        /// <summary>pkcs11-tool with opensc-pkcs11.so; <paramref name="piv"/> false forces OpenSC's openpgp driver (OPENSC_DRIVER).</summary>
        public CommandLineTool Pkcs11(bool piv = false)
        {
            var environment = new Dictionary<string, string> { ["HOME"] = Work };
            if (!piv)
            {
                environment["OPENSC_DRIVER"] = "openpgp";
            }

            return new CommandLineTool(Pcscd, "/usr/bin/pkcs11-tool", ["--module", Module], environment);
        }

        public CommandLineTool OpenPgpTool() =>
            new(Pcscd, "/usr/bin/openpgp-tool", ["-r", Slot.ToString(System.Globalization.CultureInfo.InvariantCulture)], new Dictionary<string, string> { ["HOME"] = Work });

        public byte[] PublicKey(PgpKey key) => Card.State.OpenPgp.Slot(key).Key!.PublicKey;

        public string Write(string name, byte[] content)
        {
            var path = WorkFile(name);
            File.WriteAllBytes(path, content);
            return path;
        }

        public void AssertEd25519(PgpKey key, string messagePath)
        {
            var publicKey = NSec.Cryptography.PublicKey.Import(SignatureAlgorithm.Ed25519, PublicKey(key), KeyBlobFormat.RawPublicKey);
            Assert.True(SignatureAlgorithm.Ed25519.Verify(publicKey, File.ReadAllBytes(messagePath), File.ReadAllBytes(messagePath + ".sig")));
        }
    }
}
