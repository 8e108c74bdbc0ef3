using System.Text;

namespace KeyCustody.Tokens.Pkcs11;

/// <summary>
/// A template entry: an attribute type and its value's bytes as PKCS#11 encodes them (CK_BBOOL one byte, CK_ULONG in
/// the platform's size and byte order, text UTF-8 without a terminator). Templates hold ids, labels and flags, no secret.
/// </summary>
internal sealed record Pkcs11Attribute(ulong Type, byte[] Value)
{
    public static Pkcs11Attribute Of(ulong type, bool value) => new(type, [value ? (byte)1 : (byte)0]);

    public static Pkcs11Attribute Of(ulong type, ulong value)
    {
        var bytes = new byte[nuint.Size];
        if (nuint.Size == sizeof(ulong))
        {
            BitConverter.TryWriteBytes(bytes, value);
        }
        else
        {
            BitConverter.TryWriteBytes(bytes, checked((uint)value));
        }

        return new(type, bytes);
    }

    public static Pkcs11Attribute Of(ulong type, string value) => new(type, Encoding.UTF8.GetBytes(value));

    public static Pkcs11Attribute Of(ulong type, byte[] value) => new(type, value);
}
