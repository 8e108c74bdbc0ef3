using System.Runtime.InteropServices;

namespace KeyCustody.Tokens.Pkcs11.Native;

/// <summary>
/// A template (CK_ATTRIBUTE array) and its values in one block of native memory, so nothing managed needs pinning
/// while the module reads it, and the block goes in one free. Its values are ids, labels and flags, never secrets.
/// </summary>
internal sealed unsafe class NativeTemplate : IDisposable
{
    private void* _block;

    public NativeTemplate(IReadOnlyList<Pkcs11Attribute> attributes)
    {
        Count = (nuint)attributes.Count;
        nuint size = (nuint)(attributes.Count * sizeof(CkAttribute));
        foreach (var attribute in attributes)
        {
            size += (nuint)attribute.Value.Length;
        }

        _block = NativeMemory.AllocZeroed(size == 0 ? 1 : size);
        Entries = (CkAttribute*)_block;
        var value = (byte*)(Entries + attributes.Count);
        for (int i = 0; i < attributes.Count; i++)
        {
            var bytes = attributes[i].Value;
            bytes.CopyTo(new Span<byte>(value, bytes.Length));
            Entries[i] = new CkAttribute { Type = (nuint)attributes[i].Type, Value = bytes.Length == 0 ? null : value, ValueLength = (nuint)bytes.Length };
            value += bytes.Length;
        }
    }

    public CkAttribute* Entries { get; }

    public nuint Count { get; }

    public void Dispose()
    {
        NativeMemory.Free(_block);
        _block = null;
    }
}
