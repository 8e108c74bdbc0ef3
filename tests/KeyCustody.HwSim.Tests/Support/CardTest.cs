using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.Touch;

namespace KeyCustody.HwSim.Tests.Support;

/// <summary>Base for in-process tests: one fresh card, connected, PIV selected.</summary>
public abstract class CardTest : IDisposable
{
    internal CardTest(TouchMode touch = TouchMode.Auto, ManagementKeyAlgorithm mgm = ManagementKeyAlgorithm.Aes192, TimeProvider? time = null, TimeSpan? touchCacheWindow = null)
    {
        Card = TestCards.Create(touch: touch, mgm: mgm, time: time, touchCacheWindow: touchCacheWindow);
        Host = new PivHost(Card.Connect());
        Host.Select();
    }

    internal VirtualCard Card { get; }
    internal PivHost Host { get; }

    /// <summary>GENERATE with management-key authentication; returns the public key bytes (without 86 L).</summary>
    internal byte[] Generate(byte slot, byte algorithm, byte pin = 0, byte touch = 0)
    {
        Assert.Equal(0x9000, Host.Authenticate());
        var template = new List<byte> { 0x80, 0x01, algorithm };
        if (pin != 0)
        {
            template.AddRange([0xAA, 0x01, pin]);
        }

        if (touch != 0)
        {
            template.AddRange([0xAB, 0x01, touch]);
        }

        var (data, sw) = Host.Exchange(0x47, 0x00, slot, [0xAC, (byte)template.Count, .. template]);
        Assert.Equal(0x9000, sw);
        int keyLength = data[4] == 0x81 ? data[5] : data[4];
        return data[^keyLength..];
    }

    /// <summary>GENERAL AUTHENTICATE sign: <c>7C L 82 00 81 L data</c> with DER lengths.</summary>
    internal (byte[] Data, ushort Sw) Sign(byte algorithm, byte slot, byte[] message) =>
        Host.Exchange(0x87, algorithm, slot, GeneralAuthenticate(0x81, message));

    internal static byte[] GeneralAuthenticate(byte tag, byte[] input)
    {
        var inner = new List<byte> { 0x82, 0x00, tag };
        inner.AddRange(Length(input.Length));
        inner.AddRange(input);
        return [0x7C, .. Length(inner.Count), .. inner];
    }

    internal static byte[] Length(int length) => length switch
    {
        < 0x80 => [(byte)length],
        <= 0xFF => [0x81, (byte)length],
        _ => [0x82, (byte)(length >> 8), (byte)length],
    };

    public void Dispose()
    {
        Card.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>Static access to the GENERAL AUTHENTICATE template builder.</summary>
internal static class CardTestAccess
{
    public static byte[] GeneralAuthenticate(byte tag, byte[] input) => CardTest.GeneralAuthenticate(tag, input);
}
