using KeyCustody.Tokens.Piv;

namespace KeyCustody.Tokens.OpenPgp.Data;

/// <summary>
/// Application related data (6E, §4.4.3.1) as far as a signer needs it: the AID, historical bytes, extended length
/// information, extended capabilities, and per key slot its algorithm attributes, fingerprint, status and touch flag
/// (UIF, YubiKey and Nitrokey 3). The discretionary objects are read from 73 (3.x cards) or from 6E itself (older
/// cards); 7F66 may sit in either (a YubiKey 5.4.3 puts it inside 73).
/// </summary>
internal sealed class ApplicationData
{
    private readonly Dictionary<int, byte[]> _objects;

    private ApplicationData(OpenPgpAid aid, Dictionary<int, byte[]> objects)
    {
        Aid = aid;
        _objects = objects;
        Historical = objects.GetValueOrDefault(0x5F52) ?? [];
        PwStatus = PwStatus.Parse(objects.GetValueOrDefault(0xC4) ?? throw new InvalidDataException("no PW status bytes (C4)"));
        ExtendedCapabilities = objects.GetValueOrDefault(0xC0) ?? [];
        if (objects.GetValueOrDefault(0x7F66) is { } lengths)
        {
            var items = Ber.ReadAll(lengths);
            if (items.Count < 2 || items[0].Tag != 0x02 || items[1].Tag != 0x02)
            {
                throw new InvalidDataException("extended length information (7F66) is not two 02 integers");
            }

            MaxCommandApdu = ToInt(items[0].Value);
            MaxResponseApdu = ToInt(items[1].Value);
        }
    }

    public OpenPgpAid Aid { get; }

    public byte[] Historical { get; }

    public PwStatus PwStatus { get; }

    /// <summary>C0 (10 bytes on 3.x cards): flags, SM algorithm, challenge/certificate/special-DO limits, PIN block 2, MSE.</summary>
    public byte[] ExtendedCapabilities { get; }

    /// <summary>From 7F66: the longest command APDU the card takes (header and length fields included); null if not said.</summary>
    public int? MaxCommandApdu { get; }

    public int? MaxResponseApdu { get; }

    /// <summary>C0 bit 6: the card imports private keys (PUT DATA 3FFF).</summary>
    public bool CanImportKeys => ExtendedCapabilities.Length > 0 && (ExtendedCapabilities[0] & 0x20) != 0;

    /// <summary>C0 bit 3: algorithm attributes can be changed (needed to turn a slot into Ed25519).</summary>
    public bool CanChangeAlgorithm => ExtendedCapabilities.Length > 0 && (ExtendedCapabilities[0] & 0x04) != 0;

    /// <summary>C0 bit 5: the PW1 status byte (one signature or several) can be changed.</summary>
    public bool CanChangePw1Policy => ExtendedCapabilities.Length > 0 && (ExtendedCapabilities[0] & 0x10) != 0;

    /// <summary>C0 byte 5-6: the longest cardholder certificate (7F21), where an attestation statement goes.</summary>
    public int MaxCertificateLength => ExtendedCapabilities.Length >= 6 ? (ExtendedCapabilities[4] << 8) | ExtendedCapabilities[5] : 0;

    /// <summary>Reads <c>6E …</c> (the GET DATA 006E answer); throws <see cref="InvalidDataException"/> when malformed.</summary>
    public static ApplicationData Parse(ReadOnlySpan<byte> response)
    {
        var outer = Ber.ReadAll(Ber.Unwrap(response, 0x6E));
        var objects = new Dictionary<int, byte[]>();
        foreach (var (tag, value) in outer)
        {
            objects.TryAdd(tag, value);
        }

        if (objects.TryGetValue(0x73, out var discretionary))
        {
            foreach (var (tag, value) in Ber.ReadAll(discretionary))
            {
                objects.TryAdd(tag, value);
            }
        }

        var aid = OpenPgpAid.Parse(objects.GetValueOrDefault(0x4F) ?? throw new InvalidDataException("no application identifier (4F)"));
        return new ApplicationData(aid, objects);
    }

    public AlgorithmAttributes Attributes(OpenPgpKeySlot slot) => new(_objects.GetValueOrDefault(slot.AttributesTag) ?? []);

    /// <summary>The slot's 20-byte fingerprint from C5 (all zero: none written).</summary>
    public byte[] Fingerprint(OpenPgpKeySlot slot) => Slice(0xC5, 20, slot.KeyRef);

    /// <summary>The slot's generation time from CD (seconds since 1970; 0: none written).</summary>
    public uint GenerationTime(OpenPgpKeySlot slot)
    {
        var bytes = Slice(0xCD, 4, slot.KeyRef);
        return (uint)((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]);
    }

    /// <summary>From DE when the card has it (01 generated, 02 imported, 00 none), else Unknown.</summary>
    public KeyStatus Status(OpenPgpKeySlot slot)
    {
        if (_objects.GetValueOrDefault(0xDE) is not { } info)
        {
            return KeyStatus.Unknown;
        }

        for (int i = 0; i + 1 < info.Length; i += 2)
        {
            if (info[i] == slot.KeyRef)
            {
                return info[i + 1] switch
                {
                    0x00 => KeyStatus.Absent,
                    0x01 => KeyStatus.Generated,
                    0x02 => KeyStatus.Imported,
                    _ => KeyStatus.Unknown,
                };
            }
        }

        return KeyStatus.Unknown;
    }

    /// <summary>Whether a key is in the slot: the card's own word (DE), else a fingerprint was written.</summary>
    public bool HasKey(OpenPgpKeySlot slot) => Status(slot) switch
    {
        KeyStatus.Absent => false,
        KeyStatus.Generated or KeyStatus.Imported => true,
        _ => Fingerprint(slot).Any(b => b != 0),
    };

    /// <summary>The slot's user interaction flag (D6/D8: mode, then the feature byte); null when the card has none.</summary>
    public Uif? Touch(OpenPgpKeySlot slot) =>
        _objects.GetValueOrDefault(slot.UifTag) is { Length: >= 1 } uif ? (Uif)uif[0] : null;

    /// <summary>The slot's UIF second byte (the feature it uses: 20 = button); null when the card has no UIF.</summary>
    public byte? TouchFeature(OpenPgpKeySlot slot) =>
        _objects.GetValueOrDefault(slot.UifTag) is { Length: >= 2 } uif ? uif[1] : null;

    /// <summary>Whether the card has a touch flag for the attestation key (D9) and it asks for a touch.</summary>
    public bool AttestationNeedsTouch => _objects.GetValueOrDefault(0xD9) is { Length: >= 1 } uif && ((Uif)uif[0]).NeedsTouch();

    private byte[] Slice(int tag, int size, byte keyRef)
    {
        // C5/CD list sig, dec, aut (and att on a YubiKey 5.2+) in that order.
        var all = _objects.GetValueOrDefault(tag) ?? [];
        int offset = (keyRef - 1) * size;
        return offset + size <= all.Length ? all.AsSpan(offset, size).ToArray() : new byte[size];
    }

    private static int ToInt(byte[] value)
    {
        if (value.Length is 0 or > 3)
        {
            throw new InvalidDataException($"an extended length of {value.Length} bytes");
        }

        int n = 0;
        foreach (var b in value)
        {
            n = (n << 8) | b;
        }

        return n;
    }
}
