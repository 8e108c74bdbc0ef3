using System.Text;

namespace KeyCustody.Tokens.Pkcs11;

/// <summary>
/// An attribute's value as C_GetAttributeValue gave it; <see cref="CannotBeRead"/> when the module answered
/// CK_UNAVAILABLE_INFORMATION (a sensitive attribute, or a type the object does not have, such as a vendor attribute
/// on another module). The readers answer null where the bytes are not what the type needs.
/// </summary>
internal sealed record Pkcs11AttributeValue(byte[]? Value)
{
    public bool CannotBeRead => Value is null;

    public byte[] AsBytes() => Value ?? [];

    public string AsText() => Value is null ? string.Empty : Encoding.UTF8.GetString(Value);

    /// <summary>CK_BBOOL: one byte, anything but 0 is true.</summary>
    public bool? AsBool() => Value is [var b] ? b != 0 : null;

    /// <summary>CK_ULONG in the platform's size and byte order.</summary>
    public ulong? AsNumber() => Value switch
    {
        { Length: 8 } when nuint.Size == 8 => BitConverter.ToUInt64(Value),
        { Length: 4 } when nuint.Size == 4 => BitConverter.ToUInt32(Value),
        _ => null,
    };
}
