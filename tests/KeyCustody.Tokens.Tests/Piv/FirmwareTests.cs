using KeyCustody.Tokens.Piv;
using KeyCustody.Tokens.Tests.Support;

namespace KeyCustody.Tokens.Tests.Piv;

/// <summary>A card answering like an older YubiKey (hw-sim is always 5.7): refused by name and firmware.</summary>
public sealed class FirmwareTests
{
    [Theory]
    [InlineData("05 04 03", "5.4.3")]
    [InlineData("05 06 09", "5.6.9")]
    public void Firmware_below_5_7_is_refused_naming_the_firmware(string version, string text)
    {
        using var readers = new OneCardReaders(version);
        var error = Assert.Throws<FirmwareUnsupportedException>(() => PivToken.Open(readers, 11409355));
        Assert.Equal(Version.Parse(text), error.Firmware);
        Assert.Contains($"firmware {text}", error.Message, StringComparison.Ordinal);
        Assert.Contains("5.7.0", error.Message, StringComparison.Ordinal);
        Assert.True(readers.Disposed);
    }

    [Fact]
    public void Firmware_5_7_is_accepted_and_a_wrong_serial_is_not_found()
    {
        using var readers = new OneCardReaders("05 07 00");
        using (var token = PivToken.Open(readers, 11409355))
        {
            Assert.Equal(new Version(5, 7, 0), token.Firmware);
        }

        var error = Assert.Throws<TokenNotFoundException>(() => PivToken.Open(readers, 12345678));
        Assert.Contains("12345678", error.Message, StringComparison.Ordinal);
    }

    private sealed class OneCardReaders(string version) : ISmartCardReaders
    {
        /// <summary>The card connection was closed (not just a transaction ended).</summary>
        public bool Disposed { get; set; }

        public IReadOnlyList<string> ReadersWithCard() => ["reader"];

        public ISmartCardConnection? Connect(string reader) => new Card(version, this);

        public bool WaitForChange(TimeSpan timeout, CancellationToken cancellation) => false;

        public void Dispose()
        {
        }

        private sealed class Card(string version, OneCardReaders owner) : ISmartCardConnection
        {
            public byte[] Transmit(ReadOnlySpan<byte> command) => command[1] switch
            {
                0xA4 => Hex.Parse("61 11 4F 06 00 00 10 00 01 00 79 07 4F 05 A0 00 00 03 08 90 00"),
                0xFD => Hex.Parse(version + " 90 00"),
                0xF8 => Hex.Parse("00 AE 17 CB 90 00"),
                _ => Hex.Parse("6D 00"),
            };

            public IDisposable BeginTransaction() => new MemoryStream();

            public void Dispose() => owner.Disposed = true;
        }
    }
}
