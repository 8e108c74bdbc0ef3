using KeyCustody.Tokens.Piv;
using KeyCustody.Tokens.Piv.Commands;
using KeyCustody.Tokens.Tests.Support;

namespace KeyCustody.Tokens.Tests.Piv;

/// <summary>
/// Card answers that fuzz/ (the PIV harness, fuzz/README.md) found escaping as something other than a token
/// error. The raw crashing inputs are kept in fuzz/regressions/piv and replayed by fuzz/KeyCustody.Fuzz.Tests.
/// </summary>
public sealed class FuzzFindingsTests
{
    private static readonly PivErrorContext Context = new("YubiKey 1", "9c");

    [Theory]
    [InlineData("01 01 1A 02 02 00 01 05 01 01 90 00")]
    [InlineData("01 01 09 90 00")]
    [InlineData("01 01 E0 02 02 00 01 90 00")]
    public void Unknown_management_key_algorithm_in_metadata_is_a_malformed_answer(string answer)
    {
        var error = Assert.IsType<DeviceErrorException>(Record.Exception(
            () => MetadataCommand.ParseManagementKey(ResponseApdu.Parse(Hex.Parse(answer)), Context)));
        Assert.Contains("management key algorithm", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generation_on_a_card_reporting_an_unknown_management_key_algorithm_fails_as_a_device_error()
    {
        using var readers = new MetadataCard("01 01 1A 02 02 00 01 05 01 01 90 00");
        using var token = PivToken.Open(readers, 11409355);
        var interaction = new TokenInteraction
        {
            ManagementKey = _ => ValueTask.FromResult<Secret?>(Secret.Copy(Hex.Parse("01 02 03 04 05 06 07 08 01 02 03 04 05 06 07 08 01 02 03 04 05 06 07 08"))),
        };
        var error = await Assert.ThrowsAsync<DeviceErrorException>(() => token.GenerateKeyAsync(new KeyGenerationRequest("9c"), interaction));
        Assert.Contains("1A", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A YubiKey 5.7 with an empty 9c whose GET METADATA for 9B answers <c>managementKeyMetadata</c>.</summary>
    private sealed class MetadataCard(string managementKeyMetadata) : ISmartCardReaders
    {
        public IReadOnlyList<string> ReadersWithCard() => ["reader"];

        public ISmartCardConnection? Connect(string reader) => new Card(managementKeyMetadata);

        public bool WaitForChange(TimeSpan timeout, CancellationToken cancellation) => false;

        public void Dispose()
        {
        }

        private sealed class Card(string managementKeyMetadata) : ISmartCardConnection
        {
            public byte[] Transmit(ReadOnlySpan<byte> command) => (command[1], command[3]) switch
            {
                (0xA4, _) => Hex.Parse("61 11 4F 06 00 00 10 00 01 00 79 07 4F 05 A0 00 00 03 08 90 00"),
                (0xFD, _) => Hex.Parse("05 07 01 90 00"),
                (0xF8, _) => Hex.Parse("00 AE 17 CB 90 00"),
                (0xF7, 0x9B) => Hex.Parse(managementKeyMetadata),
                (0xF7, _) => Hex.Parse("6A 88"),
                _ => Hex.Parse("6D 00"),
            };

            public IDisposable BeginTransaction() => new MemoryStream();

            public void Dispose()
            {
            }
        }
    }
}
