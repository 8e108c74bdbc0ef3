using System.Globalization;

namespace KeyCustody.Cli;

/// <summary>Sizes as a person reads them: "5 MiB (5,242,880 bytes)"; the exact count stays for whoever compares.</summary>
internal static class ByteSize
{
    public static string Describe(long bytes) => bytes switch
    {
        >= 1 << 20 => string.Create(CultureInfo.InvariantCulture, $"{Round(bytes / 1048576.0)} MiB ({bytes:N0} bytes)"),
        >= 1 << 10 => string.Create(CultureInfo.InvariantCulture, $"{Round(bytes / 1024.0)} KiB ({bytes:N0} bytes)"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes"),
    };

    /// <summary>One decimal, none when whole: 4 MiB, 5.5 MiB; rounded down, so a size just over a limit never reads as the limit.</summary>
    private static string Round(double value) => (Math.Floor(value * 10) / 10).ToString("0.#", CultureInfo.InvariantCulture);
}
