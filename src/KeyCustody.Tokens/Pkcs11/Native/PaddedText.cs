using System.Text;

namespace KeyCustody.Tokens.Pkcs11.Native;

/// <summary>PKCS#11's fixed-size character fields: UTF-8, blank-padded (some modules end them with NULs instead).</summary>
internal static class PaddedText
{
    public static unsafe string Read(byte* field, int size)
    {
        var bytes = new ReadOnlySpan<byte>(field, size);
        int end = bytes.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? bytes : bytes[..end]).TrimEnd();
    }
}
