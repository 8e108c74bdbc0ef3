namespace KeyCustody.Tokens.Tests.Support;

/// <summary>Hex as the protocol doc writes it: "00 A4 04 00".</summary>
internal static class Hex
{
    public static byte[] Parse(string text) => Convert.FromHexString(text.Replace(" ", "", StringComparison.Ordinal));

    public static string Format(ReadOnlySpan<byte> bytes) => string.Join(' ', bytes.ToArray().Select(b => b.ToString("X2")));
}
