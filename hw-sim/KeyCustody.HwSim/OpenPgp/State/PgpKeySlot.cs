using KeyCustody.HwSim.Crypto;
using KeyCustody.HwSim.OpenPgp.Keys;

namespace KeyCustody.HwSim.OpenPgp.State;

/// <summary>
/// One key of the applet and what belongs to it: the algorithm attributes it is generated or imported for, the key and
/// whether the card made it, and the DOs the host writes (fingerprint, CA fingerprint, generation time) and the touch
/// policy (UIF). The key is owned and zeroed when replaced.
/// </summary>
public sealed class PgpKeySlot : IDisposable
{
    private SlotKey? _key;

    internal PgpKeySlot(PgpAlgorithm algorithm)
    {
        Algorithm = algorithm;
    }

    internal PgpAlgorithm Algorithm { get; private set; }

    public SlotKey? Key => _key;

    /// <summary>20 bytes; zeros when the host has written none.</summary>
    public byte[] Fingerprint { get; private set; } = new byte[20];

    public byte[] CaFingerprint { get; private set; } = new byte[20];

    /// <summary>Seconds since 1970, big-endian, as the host wrote it.</summary>
    public byte[] GenerationTime { get; private set; } = new byte[4];

    /// <summary>UIF mode: 00 off, 01 on, 02 fixed, 03 cached, 04 cached-fixed.</summary>
    public byte Uif { get; set; }

    public bool UifFixed => Uif is 0x02 or 0x04;

    /// <summary>A new algorithm deletes the key with its fingerprint and time (as opcard-rs does; the same value changes nothing).</summary>
    internal bool ChangeAlgorithm(PgpAlgorithm algorithm)
    {
        if (algorithm.Equals(Algorithm))
        {
            return false;
        }

        Algorithm = algorithm;
        DeleteKey();
        return true;
    }

    /// <summary>A generated or imported key: the fingerprint and time of the old one no longer apply.</summary>
    internal void SetKey(SlotKey key)
    {
        DeleteKey();
        _key = key;
    }

    internal void SetFingerprint(ReadOnlySpan<byte> value) => Fingerprint = value.ToArray();

    internal void SetCaFingerprint(ReadOnlySpan<byte> value) => CaFingerprint = value.ToArray();

    internal void SetGenerationTime(ReadOnlySpan<byte> value) => GenerationTime = value.ToArray();

    /// <summary>Loading a state file: the key and its DOs as they were written.</summary>
    internal void Restore(SlotKey? key, byte[] fingerprint, byte[] caFingerprint, byte[] time, byte uif)
    {
        _key?.Dispose();
        _key = key;
        Fingerprint = fingerprint;
        CaFingerprint = caFingerprint;
        GenerationTime = time;
        Uif = uif;
    }

    internal void DeleteKey()
    {
        _key?.Dispose();
        _key = null;
        Fingerprint = new byte[20];
        GenerationTime = new byte[4];
    }

    public void Dispose()
    {
        _key?.Dispose();
        _key = null;
    }
}
