using System.Security.Cryptography;
using KeyCustody.HwSim.Tests.Support;

namespace KeyCustody.HwSim.Tests.Applet;

public sealed class ImportMoveDeleteTests : CardTest
{
    // RFC 8032 section 7.1, TEST 1.
    private const string Rfc8032Seed = "9D 61 B1 9D EF FD 5A 60 BA 84 4A F4 92 EC 2C C4 44 49 C5 69 7B 32 69 19 70 3B AC 03 1C AE 7F 60";
    private const string Rfc8032Public = "D7 5A 98 01 82 B1 0A B7 D5 4B FE D3 C9 64 07 3A 0E E1 72 F3 DA A6 23 25 AF 02 1A 68 F7 07 51 1A";
    private const string Rfc8032Signature =
        "E5 56 43 00 C3 60 AC 72 90 86 E2 CC 80 6E 82 8A 84 87 7F 1E B8 E5 D9 74 D8 73 E0 65 22 49 01 55 "
        + "5F B8 82 15 90 A3 3B AC C6 1E 39 70 1C F9 B4 6B D2 5B F5 F0 59 5B BE 24 65 51 41 43 8E 7A 10 0B";

    [Fact]
    public void Imported_ed25519_seed_signs_the_rfc8032_vector()
    {
        Assert.Equal(0x9000, Host.Authenticate());
        Host.Expect("00 FE E0 9A 25 07 20 " + Rfc8032Seed + " AA 01 01", "90 00");
        Host.Expect("00 F7 00 9A", "01 01 E0 02 02 01 01 03 01 02 04 22 86 20 " + Rfc8032Public + " 90 00");
        Host.Expect("00 87 E0 9A 06 7C 04 82 00 81 00", "7C 42 82 40 " + Rfc8032Signature + " 90 00");
    }

    [Fact]
    public void Imported_p256_scalar_has_the_matching_public_key()
    {
        using var reference = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var parameters = reference.ExportParameters(true);
        Assert.Equal(0x9000, Host.Authenticate());
        Host.Expect("00 FE 11 9D 22 06 20 " + Hex.Format(parameters.D), "90 00");
        Host.Expect("00 F7 00 9D", "01 01 11 02 02 02 01 03 01 02 04 43 86 41 04 "
            + Hex.Format(parameters.Q.X) + " " + Hex.Format(parameters.Q.Y) + " 90 00");
    }

    [Theory]
    [InlineData("00 FE E0 9A 22 07 20 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00")]
    public void Import_needs_the_management_key(string command) => Host.Expect(command, "69 82");

    [Theory]
    [InlineData("00 FE E0 9A 21 07 1F 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00")]
    [InlineData("00 FE E0 9A 22 08 20 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00")]
    [InlineData("00 FE 07 9A 22 07 20 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00")]
    [InlineData("00 FE 11 9A 22 06 20 FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF")]
    public void Import_rejects_wrong_tags_lengths_algorithms_and_invalid_scalars(string command)
    {
        Assert.Equal(0x9000, Host.Authenticate());
        Host.Expect(command, "6A 80");
    }

    [Fact]
    public void Move_carries_key_and_policies_and_leaves_the_source_empty()
    {
        var publicKey = Generate(0x9A, 0xE0, pin: 0x03, touch: 0x01);
        Host.Expect("00 F6 9D 9A", "90 00");
        Host.Expect("00 F7 00 9A", "6A 88");
        Host.Expect("00 F7 00 9D", "01 01 E0 02 02 03 01 03 01 01 04 22 86 20 " + Hex.Format(publicKey) + " 90 00");
    }

    [Fact]
    public void Move_and_delete_errors()
    {
        Host.Expect("00 F6 9D 9A", "69 82");
        Generate(0x9A, 0xE0);
        Generate(0x9C, 0xE0);
        Host.Expect("00 F6 9C 9A", "6A 80");
        Host.Expect("00 F6 9D 9E", "6A 88");
        Host.Expect("00 F6 9D F9", "6A 88");
        Host.Expect("00 F6 FF 9E", "6A 88");
        Host.Expect("00 F6 FF 9A", "90 00");
        Host.Expect("00 F7 00 9A", "6A 88");
        Host.Expect("00 F6 FF 9A", "6A 88");
    }
}
