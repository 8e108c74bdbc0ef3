using System.Diagnostics;
using KeyCustody.HwSim.Tests.Support;
using KeyCustody.HwSim.Transport;
using KeyCustody.Tests.Shared;
using NSec.Cryptography;
using Xunit.Abstractions;

namespace KeyCustody.HwSim.Tests.Pcsc;

/// <summary>
/// Measures (and prints; asserts no timing) the GET VERSION round trip and a 300-byte Ed25519 signature,
/// in-process and through pcscd + vpcd. The numbers in hw-sim/README.md come from this test's output.
/// </summary>
[Collection(PcscdCollection.Name)]
public sealed class MeasurementTests
{
    private const int Rounds = 100;
    private readonly PrivatePcscd _pcscd;
    private readonly ITestOutputHelper _output;

    public MeasurementTests(PcscdFixture fixture, ITestOutputHelper output)
    {
        _pcscd = fixture.Pcscd;
        _output = output;
    }

    [Fact]
    public void Round_trip_and_signature_in_process_and_through_pcscd()
    {
        using var card = TestCards.Create(serial: 5550004);
        var connection = card.Connect();
        Measure("in-process", apdu => connection.Transmit(apdu));

        using var transport = new VpcdTransport(card, _pcscd.Endpoint(0));
        transport.Start();
        using var client = new PcscClient();
        using (var pcsc = client.ConnectWhenPresent(PrivatePcscd.ReaderName(0), TimeSpan.FromSeconds(15)))
        {
            Measure("pcscd+vpcd", pcsc.Transmit);
        }

        transport.Dispose();
        Assert.True(client.WaitUntilAbsent(PrivatePcscd.ReaderName(0), TimeSpan.FromSeconds(15)));
    }

    private void Measure(string path, Func<byte[], byte[]> transmit)
    {
        var host = new PivHost(transmit);
        host.Select();
        Assert.Equal(0x9000, host.Authenticate());
        var generated = host.SendRaw(Hex.Parse("00 47 00 9A 08 AC 06 80 01 E0 AA 01 01"));
        var key = PublicKey.Import(SignatureAlgorithm.Ed25519, generated[5..37], KeyBlobFormat.RawPublicKey);
        var message = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
        var template = CardTestAccess.GeneralAuthenticate(0x81, message);
        var version = Hex.Parse("00 FD 00 00");

        host.Expect("00 FD 00 00", "05 07 01 90 00");
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < Rounds; i++)
        {
            transmit(version);
        }

        var roundTrip = clock.Elapsed / Rounds;
        byte[] signature = [];
        clock.Restart();
        for (int i = 0; i < Rounds; i++)
        {
            (signature, _) = host.Exchange(0x87, 0xE0, 0x9A, template);
        }

        var sign = clock.Elapsed / Rounds;
        Assert.True(SignatureAlgorithm.Ed25519.Verify(key, message, signature[4..]));
        _output.WriteLine($"{path}: GET VERSION round trip {roundTrip.TotalMicroseconds:F1} µs; Ed25519 sign of 300 bytes (2 chained APDUs) {sign.TotalMicroseconds:F1} µs (mean of {Rounds})");
    }
}
