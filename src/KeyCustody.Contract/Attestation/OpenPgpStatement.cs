using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace KeyCustody.Contract.Attestation;

/// <summary>
/// What a YubiKey's OpenPGP attestation statement (firmware 5.2+, Yubico's arc 1.3.6.1.4.1.41482.5) says about a key:
/// generated on the card (5.2 = 1), the card's serial (5.7), firmware (5.3) and touch flag (5.8: 00 off, 01 on,
/// 02 fixed, 03 cached, 04 cached-fixed). It says nothing of the PIN: an OpenPGP card always asks for one, and whether
/// per signature is a card-wide setting (C4), not the key's; the PIN policy is checked against what the card reports.
/// </summary>
internal static class OpenPgpStatement
{
    private const string Arc = "1.3.6.1.4.1.41482.5.";
    private const string SourceOid = Arc + "2";
    private const string FirmwareOid = Arc + "3";
    private const string SerialOid = Arc + "7";
    private const string UifOid = Arc + "8";

    /// <summary>Whether the certificate carries Yubico's OpenPGP attestation extensions (then these rules apply, not PIV's).</summary>
    public static bool Is(X509Certificate2 certificate) =>
        certificate.Extensions.Cast<X509Extension>().Any(e => e.Oid?.Value?.StartsWith(Arc, StringComparison.Ordinal) == true);

    /// <summary>Throws <see cref="AttestationMismatchException"/> naming the first thing that does not match.</summary>
    public static (string? Touch, uint? Serial, string? Firmware) Check(X509Certificate2 leaf, string expectedTouch, uint? expectedSerial)
    {
        var source = Integer(leaf.Extensions[SourceOid]?.RawData);
        if (source != 1)
        {
            throw new AttestationMismatchException(source == 0
                ? "the OpenPGP attestation says the key was imported, not generated on the card"
                : "the OpenPGP attestation does not say the key was generated on the card (extension 1.3.6.1.4.1.41482.5.2)");
        }

        var touch = Octet(leaf.Extensions[UifOid]?.RawData) switch
        {
            0x00 => "never",
            0x01 or 0x02 => "always",
            0x03 or 0x04 => "cached",
            _ => null,
        };
        if (expectedTouch != "default" && touch != expectedTouch)
        {
            throw new AttestationMismatchException($"the touch policy in the attestation is '{touch ?? "absent"}', but '{expectedTouch}' was asked");
        }

        var serial = Integer(leaf.Extensions[SerialOid]?.RawData) is { } n and >= 0 and <= uint.MaxValue ? (uint?)n : null;
        if (expectedSerial is not null && serial != expectedSerial)
        {
            throw new AttestationMismatchException($"the attestation is from the card with serial {serial?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "absent"}, not {expectedSerial}");
        }

        var firmware = leaf.Extensions[FirmwareOid]?.RawData is { } v ? Bytes(v) : null;
        return (touch, serial, firmware is { Length: 3 } f ? $"{f[0]}.{f[1]}.{f[2]}" : null);
    }

    /// <summary>A DER INTEGER, or (as a few Yubico extensions are written) the bare big-endian bytes.</summary>
    private static long? Integer(byte[]? value)
    {
        if (value is null or { Length: 0 })
        {
            return null;
        }

        try
        {
            var reader = new AsnReader(value, AsnEncodingRules.DER);
            var n = reader.ReadInteger();
            reader.ThrowIfNotEmpty();
            return n >= long.MinValue && n <= long.MaxValue ? (long)n : null;
        }
        catch (AsnContentException)
        {
            return value.Length <= 4 ? value.Aggregate(0L, (acc, b) => (acc << 8) | b) : null;
        }
    }

    private static int? Octet(byte[]? value) => value is null ? null : Bytes(value) is { Length: 1 } b ? b[0] : null;

    /// <summary>A DER OCTET STRING's content, or the bare bytes (as PIV's own extensions are written).</summary>
    private static byte[] Bytes(byte[] value)
    {
        try
        {
            var reader = new AsnReader(value, AsnEncodingRules.DER);
            var content = reader.ReadOctetString();
            reader.ThrowIfNotEmpty();
            return content;
        }
        catch (AsnContentException)
        {
            return value;
        }
    }
}
