using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.OpenPgp.Keys;
using KeyCustody.HwSim.OpenPgp.State;
using KeyCustody.HwSim.State;

namespace KeyCustody.HwSim.OpenPgp;

/// <summary>
/// The readable DOs built from the state (3.4 §4.4.1): application related data 6E with its parts in the order the YubiKey
/// 5.4.3 sends them, cardholder related data 65, the security support template 7A, algorithm information FA.
/// </summary>
internal static class ApplicationData
{
    /// <summary>General feature management: a button (7F74 = 81 01 20) on both the YubiKey and the Nitrokey 3.</summary>
    private static readonly byte[] GeneralFeatureManagement = [0x81, 0x01, 0x20];

    public static byte[] Aid(CardState state) => OpenPgpAid.For(state.OpenPgp.Profile, state.Identity.Serial);

    public static byte[] HistoricalBytes(OpenPgpState openPgp)
    {
        var bytes = openPgp.Profile.HistoricalBytes.ToArray();
        bytes[^3] = openPgp.Terminated ? (byte)0x03 : (byte)0x05;
        return bytes;
    }

    public static byte[] Features() => GeneralFeatureManagement.ToArray();

    /// <summary>7F66: 02 02 (max command) 02 02 (max response).</summary>
    public static byte[] ExtendedLengthInformation(OpenPgpProfile profile) =>
    [
        0x02, 0x02, (byte)(profile.MaxCommandLength >> 8), (byte)profile.MaxCommandLength,
        0x02, 0x02, (byte)(profile.MaxResponseLength >> 8), (byte)profile.MaxResponseLength,
    ];

    /// <summary>C4: PW1 validity, the maximum lengths (127 each) and the tries left of PW1, the resetting code and PW3.</summary>
    public static byte[] PasswordStatus(OpenPgpState openPgp) =>
    [
        openPgp.UserPinValidForSeveral ? (byte)0x01 : (byte)0x00,
        PgpPassword.MaxLength, PgpPassword.MaxLength, PgpPassword.MaxLength,
        (byte)openPgp.UserPin.Remaining, (byte)openPgp.ResetCode.Remaining, (byte)openPgp.AdminPin.Remaining,
    ];

    public static byte[] Uif(PgpKeySlot slot) => [slot.Uif, 0x20];

    public static byte[] ApplicationRelated(CardState state)
    {
        var openPgp = state.OpenPgp;
        var profile = openPgp.Profile;
        var parts = new List<byte[]>
        {
            Tlv.Encode(0x4F, Aid(state)),
            Tlv.Encode(0x5F52, HistoricalBytes(openPgp)),
        };
        if (!profile.ExtendedLengthInDiscretionary)
        {
            parts.Add(Tlv.Encode(0x7F66, ExtendedLengthInformation(profile)));
        }

        parts.Add(Tlv.Encode(0x7F74, Features()));
        parts.Add(Tlv.Encode(0x73, Discretionary(openPgp)));
        return Tlv.Encode(0x6E, Tlv.Concat([.. parts]));
    }

    public static byte[] CardholderRelated(OpenPgpState openPgp) => Tlv.Encode(0x65, Tlv.Concat(
        Tlv.Encode(0x5B, openPgp.Name), Tlv.Encode(0x5F2D, openPgp.Language), Tlv.Encode(0x5F35, openPgp.Sex)));

    /// <summary>7A: the digital signature counter 93, three bytes.</summary>
    public static byte[] SecuritySupport(OpenPgpState openPgp) => Tlv.Encode(0x7A, Tlv.Encode(0x93, SignatureCounter(openPgp)));

    public static byte[] SignatureCounter(OpenPgpState openPgp)
    {
        uint counter = openPgp.SignatureCounter;
        return [(byte)(counter >> 16), (byte)(counter >> 8), (byte)counter];
    }

    /// <summary>FA: every algorithm each key can be set to (3.4 §4.4.3.11), as C1/C2/C3 (and DA) entries.</summary>
    public static byte[] AlgorithmInformation(OpenPgpProfile profile)
    {
        var entries = new List<byte[]>();
        foreach (var key in Keys(profile))
        {
            foreach (var algorithm in PgpAlgorithm.Implemented.Where(a => a.FitsKey(key)))
            {
                entries.Add(Tlv.Encode(KeyTags.Attributes(key), algorithm.Encode(profile)));
            }
        }

        return Tlv.Encode(0xFA, Tlv.Concat([.. entries]));
    }

    /// <summary>C5, C6 (20 bytes per key) and CD (4 bytes per key), in key order.</summary>
    public static byte[] Fingerprints(OpenPgpState openPgp) => Concat(openPgp, s => s.Fingerprint);

    public static byte[] CaFingerprints(OpenPgpState openPgp) => Concat(openPgp, s => s.CaFingerprint);

    public static byte[] GenerationTimes(OpenPgpState openPgp) => Concat(openPgp, s => s.GenerationTime);

    /// <summary>DE: per key its reference and 00 (none), 01 (generated) or 02 (imported).</summary>
    public static byte[] KeyInformation(OpenPgpState openPgp)
    {
        var bytes = new List<byte>();
        foreach (var key in Keys(openPgp.Profile))
        {
            var slotKey = openPgp.Slot(key).Key;
            bytes.Add(KeyTags.Reference(key));
            bytes.Add(slotKey is null ? (byte)0x00 : slotKey.Origin == KeyOrigin.Generated ? (byte)0x01 : (byte)0x02);
        }

        return [.. bytes];
    }

    /// <summary>The keys a profile has: three, and ATT on a YubiKey.</summary>
    public static IEnumerable<PgpKey> Keys(OpenPgpProfile profile) =>
        profile.YubicoExtensions ? [.. KeyTags.CardKeys, PgpKey.Attestation] : KeyTags.CardKeys;

    private static byte[] Discretionary(OpenPgpState openPgp)
    {
        var profile = openPgp.Profile;
        var parts = new List<byte[]> { Tlv.Encode(0xC0, profile.ExtendedCapabilities) };
        foreach (var key in Keys(profile))
        {
            parts.Add(Tlv.Encode(KeyTags.Attributes(key), openPgp.Slot(key).Algorithm.Encode(profile)));
        }

        parts.Add(Tlv.Encode(0xC4, PasswordStatus(openPgp)));
        parts.Add(Tlv.Encode(0xC5, Fingerprints(openPgp)));
        parts.Add(Tlv.Encode(0xC6, CaFingerprints(openPgp)));
        parts.Add(Tlv.Encode(0xCD, GenerationTimes(openPgp)));
        parts.Add(Tlv.Encode(0xDE, KeyInformation(openPgp)));
        if (profile.ExtendedLengthInDiscretionary)
        {
            parts.Add(Tlv.Encode(0x7F66, ExtendedLengthInformation(profile)));
        }

        foreach (var key in Keys(profile))
        {
            parts.Add(Tlv.Encode(KeyTags.Uif(key), Uif(openPgp.Slot(key))));
        }

        return Tlv.Concat([.. parts]);
    }

    private static byte[] Concat(OpenPgpState openPgp, Func<PgpKeySlot, byte[]> part) =>
        Tlv.Concat([.. Keys(openPgp.Profile).Select(key => part(openPgp.Slot(key)))]);
}
