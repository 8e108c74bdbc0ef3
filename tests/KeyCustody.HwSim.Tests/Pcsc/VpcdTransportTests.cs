using KeyCustody.HwSim.Tests.Support;
using KeyCustody.HwSim.Transport;
using KeyCustody.Tests.Shared;
using NSec.Cryptography;

namespace KeyCustody.HwSim.Tests.Pcsc;

/// <summary>The simulator as a vpcd card behind the real pcscd, driven through libpcsclite.</summary>
[Collection(PcscdCollection.Name)]
public sealed class VpcdTransportTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private readonly PrivatePcscd _pcscd;
    private readonly VirtualCard _card = TestCards.Create(serial: 5550001);
    private readonly VpcdTransport _transport;
    private readonly PcscClient _client = new();
    private readonly string _reader = PrivatePcscd.ReaderName(0);

    public VpcdTransportTests(PcscdFixture fixture)
    {
        _pcscd = fixture.Pcscd;
        _transport = new VpcdTransport(_card, _pcscd.Endpoint(0));
        _transport.Start();
        Assert.True(_transport.WaitUntilConnected(Patience), "simulator did not reach vpcd");
    }

    [Fact]
    public void Pcscd_lists_the_reader_and_sees_the_yubikey_atr_over_t1()
    {
        Assert.Contains(_reader, _client.Readers());
        using var card = _client.ConnectWhenPresent(_reader, Patience);
        Assert.Equal((nuint)2, card.Protocol);
        Assert.Equal(VirtualCard.YubiKey5Atr.ToArray(), card.Atr());
        var host = new PivHost(card.Transmit);
        host.Select();
        host.Expect("00 FD 00 00", "05 07 01 90 00");
        host.Expect("00 F8 00 00", "00 54 AF B1 90 00");
        host.Expect("00 20 00 80 00", "63 C3");
    }

    [Fact]
    public void Ed25519_signature_of_a_chained_300_byte_message_through_pcscd_verifies()
    {
        using var card = _client.ConnectWhenPresent(_reader, Patience);
        var host = new PivHost(card.Transmit);
        host.Select();
        Assert.Equal(0x9000, host.Authenticate());
        var generated = host.SendRaw(Hex.Parse("00 47 00 9A 08 AC 06 80 01 E0 AA 01 01"));
        Assert.Equal(0x9000, PivHost.Sw(generated));
        var message = Enumerable.Range(0, 300).Select(i => (byte)(i * 7)).ToArray();
        var (signature, sw) = host.Exchange(0x87, 0xE0, 0x9A, Support.CardTestAccess.GeneralAuthenticate(0x81, message));
        Assert.Equal(0x9000, sw);
        var key = PublicKey.Import(SignatureAlgorithm.Ed25519, generated[5..37], KeyBlobFormat.RawPublicKey);
        Assert.True(SignatureAlgorithm.Ed25519.Verify(key, message, signature[4..]));
    }

    [Fact]
    public void Unplug_is_a_removal_for_pcscd_and_plug_a_fresh_insertion()
    {
        using (var card = _client.ConnectWhenPresent(_reader, Patience))
        {
            var host = new PivHost(card.Transmit);
            host.Select();
            host.VerifyPin();
            _card.Unplug();
            Assert.False(_transport.IsConnected && _card.IsPresent);
            long rc = card.TryTransmit(Hex.Parse("00 FD 00 00"), out _);
            Assert.NotEqual(NativePcsc.Success, rc);
        }

        // pcscd notices a removal by polling, which it does not do for a card a client holds.
        Assert.True(_client.WaitUntilAbsent(_reader, Patience), "pcscd still sees a card");

        _card.Plug();
        using var again = _client.ConnectWhenPresent(_reader, Patience);
        var fresh = new PivHost(again.Transmit);
        fresh.Select();
        fresh.Expect("00 20 00 80", "63 C3");
    }

    [Fact]
    public void Removal_in_the_middle_of_a_command_fails_that_command()
    {
        using (var card = _client.ConnectWhenPresent(_reader, Patience))
        {
            var host = new PivHost(card.Transmit);
            host.Select();
            _card.Faults.RemoveDuringNextCommand(0xFD);
            long rc = card.TryTransmit(Hex.Parse("00 FD 00 00"), out var response);

            // vpcd reports a connection closed while it waits for the answer as an empty answer (no status word).
            Assert.True(rc != NativePcsc.Success || response.Length == 0, $"0x{rc:X} {Hex.Format(response)}");
            Assert.False(_card.IsPresent);
        }

        Assert.True(_client.WaitUntilAbsent(_reader, Patience), "pcscd still sees a card");
        _card.Plug();
        using var again = _client.ConnectWhenPresent(_reader, Patience);
        new PivHost(again.Transmit).Select();
    }

    [Fact]
    public void The_card_comes_back_after_pcscd_restarts()
    {
        int before = _transport.Connections;
        _pcscd.Restart();
        using var client = new PcscClient();
        using var card = client.ConnectWhenPresent(_reader, Patience);
        Assert.True(_transport.Connections > before);
        var host = new PivHost(card.Transmit);
        host.Select();
        host.Expect("00 FD 00 00", "05 07 01 90 00");
    }

    public void Dispose()
    {
        _transport.Dispose();
        _card.Dispose();

        // The next test's card goes into the same slot: let pcscd see this one leave first
        // (with a new context: pcscd may have been restarted under the old one).
        _client.Dispose();
        using var client = new PcscClient();
        Assert.True(client.WaitUntilAbsent(_reader, Patience), "pcscd did not notice the card leaving");
    }
}
