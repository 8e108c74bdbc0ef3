using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.OpenPgp;

namespace KeyCustody.HwSim;

/// <summary>
/// How long a command takes on a real key, from the host's side (USB and PC/SC included): the card answers no
/// sooner. One command at a time, as on the card, so a slow signature holds every other caller.
/// </summary>
public sealed class CardTiming
{
    /// <summary>As fast as the simulator runs.</summary>
    public static CardTiming None { get; } = new();

    /// <summary>
    /// A YubiKey 5, as Jsign's JMH benchmark measured a YubiKey 5 NFC, firmware 5.1.2, PIV over PC/SC (ebourg/jsign,
    /// jsign-benchmark/README.md and PIVBenchmark.java; mean of 10): SELECT 1.257 ms (the cost of a short command),
    /// VERIFY 9.135 ms, GENERAL AUTHENTICATE RSA 1024 56.238 ms, RSA 2048 138.491 ms, P-256 71.572 ms, P-384
    /// 118.563 ms. No PIV figure is published for RSA 3072/4096 or for the 5.7 algorithms: RSA 3072/4096 take the
    /// same key's OpenPGP signatures (517.010 and 855.868 ms), Ed25519 and X25519 the P-256 figure.
    /// </summary>
    public static CardTiming YubiKey5 { get; } = new()
    {
        Command = TimeSpan.FromMilliseconds(1.257),
        Verify = TimeSpan.FromMilliseconds(9.135),
        PrivateKey = new Dictionary<KeyAlgorithm, TimeSpan>
        {
            [KeyAlgorithm.Rsa1024] = TimeSpan.FromMilliseconds(56.238),
            [KeyAlgorithm.Rsa2048] = TimeSpan.FromMilliseconds(138.491),
            [KeyAlgorithm.Rsa3072] = TimeSpan.FromMilliseconds(517.010),
            [KeyAlgorithm.Rsa4096] = TimeSpan.FromMilliseconds(855.868),
            [KeyAlgorithm.EccP256] = TimeSpan.FromMilliseconds(71.572),
            [KeyAlgorithm.EccP384] = TimeSpan.FromMilliseconds(118.563),
            [KeyAlgorithm.Ed25519] = TimeSpan.FromMilliseconds(71.572),
            [KeyAlgorithm.X25519] = TimeSpan.FromMilliseconds(71.572),
        },
    };

    /// <summary>Any command not named below (and every chunk of a chained command but the last).</summary>
    public TimeSpan Command { get; init; }

    /// <summary>VERIFY with a PIN.</summary>
    public TimeSpan Verify { get; init; }

    /// <summary>
    /// A private-key operation (the last chunk of the chain), by algorithm: PIV's GENERAL AUTHENTICATE (the algorithm in
    /// P1) and OpenPGP's PSO:CDS, PSO:DECIPHER and INTERNAL AUTHENTICATE (the algorithm of the key they use). The same
    /// chip does both; no OpenPGP figure for ECC is published, so the PIV figures stand for both applets.
    /// </summary>
    public IReadOnlyDictionary<KeyAlgorithm, TimeSpan> PrivateKey { get; init; } = new Dictionary<KeyAlgorithm, TimeSpan>();

    /// <summary>The time for one command APDU as the reader delivers it; <paramref name="openPgpKey"/> names the OpenPGP keys' algorithms.</summary>
    internal TimeSpan For(ReadOnlySpan<byte> command, Func<PgpKey, KeyAlgorithm?>? openPgpKey = null)
    {
        if (command.Length < 4)
        {
            return Command;
        }

        bool lastOfChain = (command[0] & 0x10) == 0;
        var pgpKey = (command[1], command[2], command[3]) switch
        {
            (0x2A, 0x9E, 0x9A) => PgpKey.Signature,
            (0x2A, 0x80, 0x86) => PgpKey.Decryption,
            (0x88, 0x00, 0x00) => PgpKey.Authentication,
            _ => (PgpKey?)null,
        };
        if (lastOfChain && pgpKey is { } key && openPgpKey?.Invoke(key) is { } algorithm && PrivateKey.TryGetValue(algorithm, out var pgpTime))
        {
            return pgpTime;
        }

        return command[1] switch
        {
            0x87 when lastOfChain && command[3] != PivSlots.ManagementKey && PrivateKey.TryGetValue((KeyAlgorithm)command[2], out var time) => time,
            0x20 when command.Length > 5 => Verify,
            _ => Command,
        };
    }
}
