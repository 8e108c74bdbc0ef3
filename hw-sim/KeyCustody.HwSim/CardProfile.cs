using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.OpenPgp;

namespace KeyCustody.HwSim;

/// <summary>
/// Which device the card is: its firmware, ATR and applets, and how its OpenPGP applet answers. A YubiKey 5.7 (PIV with
/// Ed25519/X25519), a YubiKey 5.4.3 (Ed25519 only through OpenPGP: PIV refuses E0/E1) or a Nitrokey 3 (OpenPGP only).
/// </summary>
public sealed class CardProfile
{
    private CardProfile(string name, byte[] firmware, byte[] atr, bool yubiKey, bool piv57, OpenPgpProfile openPgp)
    {
        Name = name;
        Firmware = firmware;
        Atr = atr;
        HasPiv = yubiKey;
        HasManagement = yubiKey;
        PivHas57Algorithms = piv57;
        OpenPgp = openPgp;
    }

    /// <summary>A YubiKey 5 NFC with firmware 5.7.1 (the default): PIV with every 5.7 algorithm, OpenPGP 3.4.</summary>
    public static CardProfile YubiKey57 { get; } = new(
        "yubikey-5.7", [5, 7, 1], YubiKeyAtr(), yubiKey: true, piv57: true, OpenPgpProfile.YubiKey(new Version(5, 7, 1)));

    /// <summary>
    /// A YubiKey 5 NFC with firmware 5.4.3 (the most common line in use): OpenPGP signs Ed25519, PIV has neither
    /// Ed25519/X25519 nor RSA 3072/4096 nor MOVE/DELETE (all came with 5.7), and its factory management key is 3DES.
    /// </summary>
    public static CardProfile YubiKey543 { get; } = new(
        "yubikey-5.4.3", [5, 4, 3], YubiKeyAtr(), yubiKey: true, piv57: false, OpenPgpProfile.YubiKey(new Version(5, 4, 3)));

    /// <summary>A Nitrokey 3 (opcard-rs): OpenPGP 3.4 only, no attestation, EdDSA messages of at most 1024 bytes.</summary>
    public static CardProfile Nitrokey3 { get; } = new(
        "nitrokey-3", [0, 0, 0], NitrokeyAtr(), yubiKey: false, piv57: false, OpenPgpProfile.Nitrokey3());

    public static IReadOnlyList<CardProfile> All { get; } = [YubiKey57, YubiKey543, Nitrokey3];

    /// <summary>The name used on the command line, in configuration files and in state files.</summary>
    public string Name { get; }

    /// <summary>The YubiKey firmware version (PIV GET VERSION, device info, attestation); a Nitrokey 3 reports none (0.0.0).</summary>
    public IReadOnlyList<byte> Firmware { get; }

    public IReadOnlyList<byte> Atr { get; }

    /// <summary>The PIV applet is there (YubiKeys); a Nitrokey 3 profile answers its SELECT with 6A 82.</summary>
    public bool HasPiv { get; }

    /// <summary>Yubico's management applet is there (YubiKeys).</summary>
    public bool HasManagement { get; }

    /// <summary>PIV knows Ed25519, X25519, RSA 3072/4096 and MOVE/DELETE (firmware 5.7 and later).</summary>
    public bool PivHas57Algorithms { get; }

    /// <summary>The factory PIV management key algorithm: AES-192 from 5.7 on, 3DES before.</summary>
    public ManagementKeyAlgorithm DefaultManagementKeyAlgorithm =>
        PivHas57Algorithms ? ManagementKeyAlgorithm.Aes192 : ManagementKeyAlgorithm.TripleDes;

    internal OpenPgpProfile OpenPgp { get; }

    /// <summary>The profile with this name (<see cref="Name"/>), or an error that lists the names.</summary>
    public static CardProfile Parse(string name)
    {
        foreach (var profile in All)
        {
            if (string.Equals(profile.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return profile;
            }
        }

        throw new ArgumentException($"unknown card profile '{name}' (one of {string.Join(", ", All.Select(p => p.Name))})", nameof(name));
    }

    public override string ToString() => Name;

    /// <summary>The YubiKey 5 (USB) ATR: T=1, historical bytes with card capabilities (chaining, extended Lc/Le) and "YubiKey".</summary>
    private static byte[] YubiKeyAtr() =>
    [
        0x3B, 0xFD, 0x13, 0x00, 0x00, 0x81, 0x31, 0xFE, 0x15, 0x80, 0x73, 0xC0,
        0x21, 0xC0, 0x57, 0x59, 0x75, 0x62, 0x69, 0x4B, 0x65, 0x79, 0x40,
    ];

    /// <summary>
    /// The ATR trussed's usbd-ccid builds (class.rs/pipe.rs construct_atr): T=1 only, no status indicator, card issuer's
    /// data; the bytes a Nitrokey 3 puts there are unverified, "Nitrokey" here. No card capabilities in it: clients read
    /// them from the OpenPGP historical bytes DO (5F52).
    /// </summary>
    private static byte[] NitrokeyAtr()
    {
        byte[] issuer = "Nitrokey"u8.ToArray();
        var atr = new List<byte> { 0x3B, (byte)(0x80 | (issuer.Length + 2)), 0x01, 0x80, (byte)(0x50 | issuer.Length) };
        atr.AddRange(issuer);
        byte check = 0;
        foreach (var b in atr.Skip(1))
        {
            check ^= b;
        }

        atr.Add(check);
        return [.. atr];
    }
}
