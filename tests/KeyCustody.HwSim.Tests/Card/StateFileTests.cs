using KeyCustody.HwSim.Tests.Support;

namespace KeyCustody.HwSim.Tests.Card;

public sealed class StateFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("hwsim-state-").FullName;

    [Fact]
    public void State_file_is_0600_and_a_card_survives_a_restart()
    {
        var path = Path.Combine(_directory, "card.json");
        byte[] publicKey;
        string attestation;
        using (var card = TestCards.Create(serial: 424242, statePath: path))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            var host = new PivHost(card.Connect());
            host.Select();
            Assert.Equal(0x9000, host.Authenticate());
            var generated = host.SendRaw(Hex.Parse("00 47 00 9C 05 AC 03 80 01 E0"));
            publicKey = generated[5..37];
            host.Expect("00 DB 3F FF 0A 5C 03 5F C1 02 53 03 01 02 03", "90 00");
            host.Expect("00 24 00 80 10 31 32 33 34 35 36 FF FF 36 35 34 33 32 31 FF FF", "90 00");
            host.Expect("00 2C 00 80 10 30 30 30 30 30 30 30 30 36 35 34 33 32 31 FF FF", "63 C2");
            host.Expect("00 FF FF FF 1B 03 9B 18 " + Hex.Format(Enumerable.Range(0x21, 24).Select(b => (byte)b).ToArray()), "90 00");
            attestation = host.Send("00 CB 3F FF 05 5C 03 5F FF 01");
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.DoesNotContain("123456", File.ReadAllText(path), StringComparison.Ordinal);

        using (var card = TestCards.Create(serial: 424242, statePath: path))
        {
            var host = new PivHost(card.Connect());
            host.Select();
            host.Expect("00 F8 00 00", "00 06 79 32 90 00");
            host.Expect("00 F7 00 9C", "01 01 E0 02 02 03 01 03 01 01 04 22 86 20 " + Hex.Format(publicKey) + " 90 00");
            host.Expect("00 CB 3F FF 05 5C 03 5F C1 02", "53 03 01 02 03 90 00");
            host.Expect("00 F7 00 81", "01 01 FF 05 01 01 06 02 03 02 90 00");
            host.Expect("00 20 00 80 08 36 35 34 33 32 31 FF FF", "90 00");
            Assert.Equal(0x9000, host.Authenticate(0x03, Enumerable.Range(0x21, 24).Select(b => (byte)b).ToArray()));
            Assert.Equal(attestation, host.Send("00 CB 3F FF 05 5C 03 5F FF 01"));
        }
    }

    [Fact]
    public void Rsa_and_p384_keys_survive_a_restart()
    {
        var path = Path.Combine(_directory, "card.json");
        string rsaMetadata;
        string p384Metadata;
        using (var card = TestCards.Create(serial: 424243, statePath: path))
        {
            var host = new PivHost(card.Connect());
            host.Select();
            Assert.Equal(0x9000, host.Authenticate());
            Assert.Equal(0x9000, host.Exchange(0x47, 0x00, 0x9A, Hex.Parse("AC 06 80 01 06 AA 01 01")).Sw);
            Assert.Equal(0x9000, host.Exchange(0x47, 0x00, 0x9D, Hex.Parse("AC 06 80 01 14 AA 01 01")).Sw);
            rsaMetadata = Hex.Format(host.Exchange(0xF7, 0x00, 0x9A, []).Data);
            p384Metadata = Hex.Format(host.Exchange(0xF7, 0x00, 0x9D, []).Data);
        }

        using (var card = TestCards.Create(serial: 424243, statePath: path))
        {
            var host = new PivHost(card.Connect());
            host.Select();
            Assert.Equal(rsaMetadata, Hex.Format(host.Exchange(0xF7, 0x00, 0x9A, []).Data));
            Assert.Equal(p384Metadata, Hex.Format(host.Exchange(0xF7, 0x00, 0x9D, []).Data));
            var block = new byte[128];
            block[1] = 0x01;
            Assert.Equal(0x9000, host.Exchange(0x87, 0x06, 0x9A, CardTestAccess.GeneralAuthenticate(0x81, block)).Sw);
            Assert.Equal(0x9000, host.Exchange(0x87, 0x14, 0x9D, CardTestAccess.GeneralAuthenticate(0x81, new byte[48])).Sw);
        }
    }

    [Fact]
    public void A_state_file_of_another_serial_is_refused()
    {
        var path = Path.Combine(_directory, "card.json");
        TestCards.Create(serial: 1, statePath: path).Dispose();
        Assert.Throws<InvalidOperationException>(() => TestCards.Create(serial: 2, statePath: path));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
