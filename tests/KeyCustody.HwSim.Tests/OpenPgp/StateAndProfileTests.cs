using KeyCustody.HwSim.Tests.Support;
using NSec.Cryptography;

namespace KeyCustody.HwSim.Tests.OpenPgp;

/// <summary>The state file keeps the OpenPGP applet and the profile; the profiles differ where the devices do.</summary>
public sealed class StateAndProfileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("hwsim-pgp-state-").FullName;

    [Fact]
    public void The_openpgp_applet_survives_a_restart_with_its_keys_pins_counters_and_dos()
    {
        var path = Path.Combine(_directory, "card.json");
        byte[] publicKey;
        byte[] attestation;
        using (var card = TestCards.Create(serial: 777001, statePath: path, profile: CardProfile.YubiKey543))
        {
            var host = new PgpHost(card.Connect());
            host.Select();
            host.VerifyAdmin();
            host.SetAttributes(0xC1, PgpTemplates.Ed25519);
            publicKey = host.Generate(0xB6);
            Assert.Equal(0x9000, host.PutData(0xC7, Enumerable.Repeat((byte)7, 20).ToArray()));
            Assert.Equal(0x9000, host.PutData(0xD6, [0x01, 0x20]));
            Assert.Equal(0x9000, host.PutData(0x0104, [9, 9]));
            Assert.Equal(0x9000, host.PutData(0xD3, "resetcode"u8.ToArray()));
            Assert.Equal(0x9000, host.Exchange(0x24, 0x00, 0x81, "123456abcdefgh"u8.ToArray()).Sw);
            Assert.Equal(0x6982, host.Verify(0x83, "wrongadmin"));
            host.VerifyUser(0x81, "abcdefgh");
            Assert.Equal(0x9000, host.Sign([1]).Sw);
            attestation = host.GetData(0xFC);
        }

        Assert.DoesNotContain("abcdefgh", File.ReadAllText(path), StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));

        using (var card = TestCards.Create(serial: 777001, statePath: path))
        {
            Assert.Equal(CardProfile.YubiKey543, card.Profile);
            var host = new PgpHost(card.Connect());
            host.Select();
            var (data, _) = host.Exchange(0x47, 0x81, 0x00, [0xB6, 0x00]);
            Assert.Equal(publicKey, PublicKeyTemplate.Point(data));
            Assert.Equal("01 7F 7F 7F 03 03 02", Hex.Format(host.GetData(0xC4)));
            Assert.Equal("00 00 01", Hex.Format(host.GetData(0x93)));
            Assert.Equal("01 20", Hex.Format(host.GetData(0xD6)));
            Assert.Equal(Enumerable.Repeat((byte)7, 20).ToArray(), host.GetData(0xC5)[..20]);
            Assert.Equal(attestation, host.GetData(0xFC));
            host.VerifyUser(0x81, "abcdefgh");
            host.VerifyAdmin();
            Assert.Equal("09 09", Hex.Format(host.GetData(0x0104)));
            var (signature, sw) = host.Sign("after restart"u8.ToArray());
            Assert.Equal(0x9000, sw);
            var key = NSec.Cryptography.PublicKey.Import(SignatureAlgorithm.Ed25519, publicKey, KeyBlobFormat.RawPublicKey);
            Assert.True(SignatureAlgorithm.Ed25519.Verify(key, "after restart"u8, signature));
        }
    }

    [Fact]
    public void A_state_file_of_another_profile_is_refused()
    {
        var path = Path.Combine(_directory, "card.json");
        TestCards.Create(serial: 777002, statePath: path, profile: CardProfile.Nitrokey3).Dispose();
        var error = Assert.Throws<InvalidOperationException>(() => TestCards.Create(serial: 777002, statePath: path, profile: CardProfile.YubiKey57));
        Assert.Contains("nitrokey-3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_state_file_from_before_openpgp_gets_the_factory_applet_with_an_attestation_key()
    {
        var path = Path.Combine(_directory, "card.json");
        TestCards.Create(serial: 777003, statePath: path).Dispose();
        var text = File.ReadAllText(path);
        var start = text.IndexOf(",\n  \"openpgp\"", StringComparison.Ordinal);
        Assert.True(start > 0);
        File.WriteAllText(path, text[..start] + "\n}");
        using var card = TestCards.Create(serial: 777003, statePath: path);
        var host = new PgpHost(card.Connect());
        host.Select();
        Assert.NotEmpty(host.GetData(0xFC));
        Assert.Contains("\"openpgp\"", File.ReadAllText(path), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0xE0)]
    [InlineData(0xE1)]
    [InlineData(0x05)]
    [InlineData(0x16)]
    public void A_5_4_3_piv_refuses_the_algorithms_of_5_7(byte algorithm)
    {
        using var card = TestCards.Create(profile: CardProfile.YubiKey543);
        var host = new PivHost(card.Connect());
        host.Select();
        host.Expect("00 FD 00 00", "05 04 03 90 00");
        Assert.Equal(0x9000, host.Authenticate());
        host.Expect($"00 47 00 9A 05 AC 03 80 01 {algorithm:X2}", "6A 80");
    }

    [Fact]
    public void A_5_4_3_piv_generates_p256_has_no_move_and_ships_a_3des_management_key()
    {
        using var card = VirtualCard.Create(new CardOptions(TestCards.Root) { Profile = CardProfile.YubiKey543 });
        var host = new PivHost(card.Connect());
        host.Select();
        host.Expect("00 F7 00 9B", "01 01 03 02 02 00 01 05 01 01 90 00");
        Assert.Equal(0x9000, host.Authenticate(0x03));
        Assert.Equal(0x9000, host.Exchange(0x47, 0x00, 0x9A, Hex.Parse("AC 03 80 01 11")).Sw);
        host.Expect("00 F6 9C 9A", "6D 00");
        host.Expect("00 A4 04 00 08 A0 00 00 05 27 47 11 17", "35 2E 34 2E 33 90 00");
    }

    [Fact]
    public void A_nitrokey_3_has_neither_piv_nor_the_management_applet_and_its_own_atr()
    {
        using var card = TestCards.Create(profile: CardProfile.Nitrokey3);
        var host = new PivHost(card.Connect());
        host.Expect("00 A4 04 00 05 A0 00 00 03 08", "6A 82");
        host.Expect("00 A4 04 00 08 A0 00 00 05 27 47 11 17", "6A 82");
        host.Expect("00 A4 04 00 06 D2 76 00 01 24 01", "90 00");
        Assert.Equal("3B 8A 01 80 58 4E 69 74 72 6F 6B 65 79 " + Check(card.Atr), Hex.Format(card.Atr));
        Assert.Equal(0, card.Atr.Skip(1).Aggregate(0, (x, b) => x ^ b));
        using var yubiKey = TestCards.Create(profile: CardProfile.YubiKey543);
        Assert.Equal(VirtualCard.YubiKey5Atr.ToArray(), yubiKey.Atr);
    }

    [Fact]
    public void The_profile_is_named_on_the_command_line_and_an_unknown_one_lists_the_names()
    {
        Assert.Same(CardProfile.YubiKey543, CardProfile.Parse("yubikey-5.4.3"));
        Assert.Same(CardProfile.Nitrokey3, CardProfile.Parse("Nitrokey-3"));
        var error = Assert.Throws<ArgumentException>(() => CardProfile.Parse("yubikey-4"));
        Assert.Contains("yubikey-5.7, yubikey-5.4.3, nitrokey-3", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string Check(byte[] atr) => atr[^1].ToString("X2");
}
