using System.Globalization;
using KeyCustody.Tokens.Piv;

namespace KeyCustody.Tokens.Pkcs11;

/// <summary>
/// How a key on a PKCS#11 token is named: <c>label:NAME</c> (CKA_LABEL), <c>id:HEX</c> (CKA_ID), for Yubico's ykcs11
/// also <c>slot:9c</c> (the PIV slot, which ykcs11 exposes as CKA_ID 02), and a bare NAME, which stays a label as it
/// always was. Whichever half of the pair the name finds, the other half is the object with the same CKA_ID (ykcs11,
/// YubiHSM 2 and network HSMs label the halves differently, or not at all).
/// </summary>
internal sealed record Pkcs11KeyName(string Text, string? Label, byte[]? Id)
{
    public const string LabelPrefix = "label:";
    public const string IdPrefix = "id:";
    public const string SlotPrefix = "slot:";

    /// <summary>Parses <paramref name="keyId"/>; <see cref="NotSupportedByTokenException"/> for a name this token cannot have.</summary>
    public static Pkcs11KeyName Parse(string keyId, string token, bool ykcs11)
    {
        if (keyId.StartsWith(LabelPrefix, StringComparison.Ordinal))
        {
            var label = keyId[LabelPrefix.Length..];
            return label.Length is > 0 and <= 128 ? ByLabel(keyId, label, token) : throw Invalid(token, keyId, "a label is 1 to 128 characters");
        }

        if (keyId.StartsWith(IdPrefix, StringComparison.Ordinal))
        {
            var hex = keyId[IdPrefix.Length..];
            if (hex.Length == 0 || hex.Length % 2 != 0 || hex.Length > 256 || !hex.All(Uri.IsHexDigit))
            {
                throw Invalid(token, keyId, "an id is an even number of hex digits (CKA_ID), e.g. id:02");
            }

            return new(keyId, null, Convert.FromHexString(hex));
        }

        if (keyId.StartsWith(SlotPrefix, StringComparison.Ordinal))
        {
            if (!ykcs11)
            {
                throw Invalid(token, keyId, "slot: names a PIV slot of Yubico's ykcs11, and this is another module; name the key by id:HEX or label:NAME");
            }

            var slot = PivSlot.Parse(keyId[SlotPrefix.Length..])
                ?? throw Invalid(token, keyId, "not a PIV key slot (9a, 9c, 9d, 9e, 82..95)");
            return new(keyId, null, [Ykcs11Id(slot)]);
        }

        return keyId.Length is > 0 and <= 128 ? ByLabel(keyId, keyId, token) : throw Invalid(token, keyId, "a label is 1 to 128 characters");
    }

    /// <summary>Whether a bare label would be read as one of the prefixed forms (then it needs <c>label:</c>).</summary>
    public static bool IsPrefixed(string keyId) =>
        keyId.StartsWith(LabelPrefix, StringComparison.Ordinal) || keyId.StartsWith(IdPrefix, StringComparison.Ordinal) || keyId.StartsWith(SlotPrefix, StringComparison.Ordinal);

    /// <summary>ykcs11's CKA_ID of a PIV key slot (ykcs11/objects.c): 9a = 1, 9c = 2, 9d = 3, 9e = 4, 82..95 = 5..24.</summary>
    public static byte Ykcs11Id(byte slot) => slot switch
    {
        0x9A => 1,
        0x9C => 2,
        0x9D => 3,
        0x9E => 4,
        >= 0x82 and <= 0x95 => (byte)(slot - 0x82 + 5),
        _ => throw new ArgumentOutOfRangeException(nameof(slot)),
    };

    /// <summary>The <c>slot:</c> name of a ykcs11 CKA_ID, or null if the id is not a key slot's.</summary>
    public static string? Ykcs11SlotName(byte[] id) => id switch
    {
        [1] => "slot:9a",
        [2] => "slot:9c",
        [3] => "slot:9d",
        [4] => "slot:9e",
        [>= 5 and <= 24] => SlotPrefix + (id[0] - 5 + 0x82).ToString("x2", CultureInfo.InvariantCulture),
        _ => null,
    };

    /// <summary>A name by label, if the label is one we can match exactly (<see cref="Pkcs11Label"/>).</summary>
    private static Pkcs11KeyName ByLabel(string keyId, string label, string token) => Pkcs11Label.Problem(label) is { } problem
        ? throw Invalid(token, keyId.Replace("\0", "\\0", StringComparison.Ordinal), problem)
        : new(keyId, label, null);

    private static NotSupportedByTokenException Invalid(string token, string keyId, string why) =>
        TokenErrors.NotSupported(token, $"the key name '{keyId}' ({why})");
}
