using KeyCustody.Tokens.Pkcs11.Native;

namespace KeyCustody.Tokens.Pkcs11;

/// <summary>
/// One session on a token. A session is one thread's at a time (PKCS#11): callers hold a lock or own it from a pool.
/// The methods throw <see cref="Pkcs11CallException"/> for anything but CKR_OK, except those of the signing path
/// (Login, SignInit, Sign), which return the CKR: their callers read some CKRs themselves (Sign still throws for a
/// module that wrote past the signature's room).
/// </summary>
internal sealed unsafe class Pkcs11Session(Cryptoki module, nuint handle) : IDisposable
{
    /// <summary>Objects per C_FindObjects call; a search goes on until the module returns none.</summary>
    private const int FindBatch = 32;

    /// <summary>
    /// The most objects one search may find. Ours name a class and a label, an id or a key type: a token holds tens of
    /// keys, a network HSM's partition some thousands. 100 000 is far beyond that, and stops a module that never says
    /// "no more" (buggy, or hostile) from keeping us in the loop with a list growing without bound.
    /// </summary>
    private const int MaxFound = 100_000;

    /// <summary>
    /// The most bytes one C_GetAttributeValue may give us, all its attributes together. We read ids, labels, EC points
    /// and flags, tens of bytes each: 64 KiB is far beyond them, and keeps a module that announces 2^62 bytes (or
    /// lengths whose sum wraps) from choosing what we allocate.
    /// </summary>
    private const uint MaxAttributeBytes = 64 * 1024;

    /// <summary>CK_UNAVAILABLE_INFORMATION (~0UL): the length of an attribute that cannot be revealed or does not exist.</summary>
    private static readonly nuint Unavailable = nuint.MaxValue;

    private bool _closed;

    public Cryptoki Module { get; } = module;

    public nuint Handle { get; } = handle;

    /// <summary>C_Login; the PIN is read where it lies (the caller's buffer, pinned for the call), never copied.</summary>
    public CKR Login(ulong userType, ReadOnlySpan<byte> pin)
    {
        byte none = 0;
        fixed (byte* p = pin)
        {
            // An empty PIN is an empty PIN for the module to judge, not NULL (which asks for the token's own PIN pad).
            return Module.C_Login(Handle, (nuint)userType, p is null ? &none : p, (nuint)pin.Length);
        }
    }

    public void Logout() => Cryptoki.Check(Module.C_Logout(Handle), "C_Logout");

    /// <summary>The session's state (CKS_), which says whether the application is logged in.</summary>
    public ulong State()
    {
        CkSessionInfo info;
        Cryptoki.Check(Module.C_GetSessionInfo(Handle, &info), "C_GetSessionInfo");
        return info.State;
    }

    /// <summary>
    /// Every object that matches the template (C_FindObjectsInit, C_FindObjects until none is left, C_FindObjectsFinal).
    /// A module that hands out more handles in one call than it was asked for, or more than <see cref="MaxFound"/> in
    /// one search, is refused (<see cref="Pkcs11CallException.Misbehaved"/>) rather than believed; so is one that writes
    /// past the handles it was asked for (the batch is a <see cref="GuardedBuffer"/>, not our stack).
    /// </summary>
    public List<ulong> FindAllObjects(IReadOnlyList<Pkcs11Attribute> template)
    {
        using (var native = new NativeTemplate(template))
        {
            Cryptoki.Check(Module.C_FindObjectsInit(Handle, native.Entries, native.Count), "C_FindObjectsInit");
        }

        var found = new List<ulong>();
        bool done = false;
        try
        {
            using var guarded = new GuardedBuffer((nuint)(FindBatch * sizeof(nuint)));
            var batch = (nuint*)guarded.Region(0);
            while (true)
            {
                nuint count = 0;
                var rv = Module.C_FindObjects(Handle, batch, FindBatch, &count);
                if (guarded.Overrun() >= 0)
                {
                    throw Misbehaved("C_FindObjects", $"wrote more than the {FindBatch} object handles it was given room for");
                }

                Cryptoki.Check(rv, "C_FindObjects");
                if (count == 0)
                {
                    break;
                }

                if (count > FindBatch)
                {
                    // It claims to have written past the array we gave it: nothing it says about this search is trusted.
                    throw Misbehaved("C_FindObjects", $"returned {count} object handles when asked for at most {FindBatch}");
                }

                if (found.Count + (int)count > MaxFound)
                {
                    throw Misbehaved("C_FindObjects", $"returned more than {MaxFound} objects for one search (it never said there were no more)");
                }

                for (int i = 0; i < (int)count; i++)
                {
                    found.Add(batch[i]);
                }
            }

            done = true;
        }
        finally
        {
            // Always end the search: a session with one still open refuses the next (CKR_OPERATION_ACTIVE).
            var rv = Module.C_FindObjectsFinal(Handle);
            if (done)
            {
                Cryptoki.Check(rv, "C_FindObjectsFinal");
            }
        }

        return found;
    }

    /// <summary>
    /// The values of <paramref name="types"/> on one object: a first call asks their lengths, a second reads them into
    /// one native buffer (a <see cref="GuardedBuffer"/>, as the template is). CKR_ATTRIBUTE_SENSITIVE and CKR_ATTRIBUTE_TYPE_INVALID are answers, not failures: the
    /// attributes concerned (length CK_UNAVAILABLE_INFORMATION, PKCS#11 3.0 C_GetAttributeValue cases 1 and 2) come
    /// back as <see cref="Pkcs11AttributeValue.CannotBeRead"/>, the others with their values. The module's lengths are
    /// checked, not believed: each announced length and their sum at most <see cref="MaxAttributeBytes"/> (checked
    /// arithmetic), and each length of the second answer at most what we allotted; the values are read where we put
    /// them, never where the module says they are; a module that writes past the template or a value's room is refused.
    /// </summary>
    public Pkcs11AttributeValue[] GetAttributeValue(ulong handle, ReadOnlySpan<ulong> types)
    {
        // The template and the values lie in guarded memory: a module writing past either is refused (GuardedBuffer).
        using var guardedTemplate = new GuardedBuffer((nuint)(types.Length * sizeof(CkAttribute)));
        var entries = (CkAttribute*)guardedTemplate.Region(0);
        for (int i = 0; i < types.Length; i++)
        {
            entries[i].Type = (nuint)types[i];
        }

        Answered(Module.C_GetAttributeValue(Handle, (nuint)handle, entries, (nuint)types.Length));
        RequireWithin(guardedTemplate, null, "the template", handle);
        var readable = new bool[types.Length];
        var allotted = new nuint[types.Length];
        nuint size = 0;
        for (int i = 0; i < types.Length; i++)
        {
            var length = entries[i].ValueLength;
            readable[i] = length != Unavailable;
            if (!readable[i])
            {
                continue;
            }

            if (length > MaxAttributeBytes)
            {
                throw Misbehaved("C_GetAttributeValue", $"announced {length} bytes for attribute 0x{types[i]:x} of object {handle} (at most {MaxAttributeBytes} are read)");
            }

            allotted[i] = length;
            size = checked(size + length);
        }

        if (size > MaxAttributeBytes)
        {
            throw Misbehaved("C_GetAttributeValue", $"announced {size} bytes for {types.Length} attributes of object {handle} (at most {MaxAttributeBytes} are read)");
        }

        using var buffer = new GuardedBuffer(allotted);
        for (int i = 0; i < types.Length; i++)
        {
            // An unavailable attribute is asked again with no buffer (its answer is ignored: the first one stands).
            entries[i].Value = allotted[i] == 0 ? null : buffer.Region(i);
            entries[i].ValueLength = allotted[i];
        }

        Answered(Module.C_GetAttributeValue(Handle, (nuint)handle, entries, (nuint)types.Length));
        RequireWithin(guardedTemplate, null, "the template", handle);
        RequireWithin(buffer, types, "the value", handle);
        var values = new Pkcs11AttributeValue[types.Length];
        for (int i = 0; i < types.Length; i++)
        {
            var length = entries[i].ValueLength;
            if (!readable[i] || length == Unavailable)
            {
                // Unavailable now (cases 1 and 2): the object changed between the two calls; say what it says now.
                values[i] = new Pkcs11AttributeValue(null);
                continue;
            }

            if (length > allotted[i])
            {
                throw Misbehaved("C_GetAttributeValue", $"answered {length} bytes for attribute 0x{types[i]:x} of object {handle} into the {allotted[i]} it had announced");
            }

            values[i] = new Pkcs11AttributeValue(new ReadOnlySpan<byte>(buffer.Region(i), (int)length).ToArray());
        }

        return values;
    }

    /// <summary>C_GenerateKeyPair; the handles of the public and the private key.</summary>
    public (ulong Public, ulong Private) GenerateKeyPair(ulong mechanism, IReadOnlyList<Pkcs11Attribute> publicTemplate, IReadOnlyList<Pkcs11Attribute> privateTemplate)
    {
        var ck = new CkMechanism { Mechanism = (nuint)mechanism };
        using var publicNative = new NativeTemplate(publicTemplate);
        using var privateNative = new NativeTemplate(privateTemplate);
        nuint publicKey = 0;
        nuint privateKey = 0;
        Cryptoki.Check(
            Module.C_GenerateKeyPair(Handle, &ck, publicNative.Entries, publicNative.Count, privateNative.Entries, privateNative.Count, &publicKey, &privateKey),
            "C_GenerateKeyPair");
        return (publicKey, privateKey);
    }

    /// <summary>C_SignInit with a mechanism that takes no parameter (CKM_EDDSA for Ed25519: pure, no context).</summary>
    public CKR SignInit(ulong mechanism, ulong key)
    {
        var ck = new CkMechanism { Mechanism = (nuint)mechanism };
        return Module.C_SignInit(Handle, &ck, (nuint)key);
    }

    /// <summary>
    /// C_Sign into <paramref name="signature"/>; <paramref name="length"/> is what the module wrote, or with
    /// CKR_BUFFER_TOO_SMALL what it needs (the operation then stays active, as PKCS#11 says). The module writes into a
    /// <see cref="GuardedBuffer"/> of the signature's size, copied out afterwards: one that writes past it is refused.
    /// </summary>
    public CKR Sign(ReadOnlySpan<byte> data, Span<byte> signature, out int length)
    {
        nuint written = (nuint)signature.Length;
        CKR rv;
        byte none = 0;
        using var output = new GuardedBuffer(written);
        fixed (byte* input = data)
        {
            // An empty message is a message (Ed25519 signs it); modules refuse a NULL pData with CKR_ARGUMENTS_BAD.
            rv = Module.C_Sign(Handle, input is null ? &none : input, (nuint)data.Length, output.Region(0), &written);
        }

        if (output.Overrun() >= 0)
        {
            throw Misbehaved("C_Sign", $"wrote past the {signature.Length} bytes it was given for the signature");
        }

        length = written > int.MaxValue ? int.MaxValue : (int)written;
        new ReadOnlySpan<byte>(output.Region(0), Math.Min(length, signature.Length)).CopyTo(signature);
        return rv;
    }

    public void DestroyObject(ulong handle) => Cryptoki.Check(Module.C_DestroyObject(Handle, (nuint)handle), "C_DestroyObject");

    /// <summary>C_CloseSession, once; throws if the module refuses (the token is gone: the handle is dead either way).</summary>
    public void Dispose()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        Cryptoki.Check(Module.C_CloseSession(Handle), "C_CloseSession");
    }

    private Pkcs11CallException Misbehaved(string function, string what) => Pkcs11CallException.Misbehaved(function, Module.Path, what);

    /// <summary>Refuses a C_GetAttributeValue answer written past <paramref name="buffer"/>'s regions (the template, or a value).</summary>
    private void RequireWithin(GuardedBuffer buffer, ReadOnlySpan<ulong> types, string what, ulong handle)
    {
        int region = buffer.Overrun();
        if (region >= 0)
        {
            var which = types.IsEmpty ? $"{what} of object {handle}" : $"{what} of attribute 0x{types[region]:x} of object {handle}";
            throw Misbehaved("C_GetAttributeValue", $"wrote past {which} (the room it was given)");
        }
    }

    private static void Answered(CKR rv)
    {
        if (rv is not (CKR.CKR_OK or CKR.CKR_ATTRIBUTE_SENSITIVE or CKR.CKR_ATTRIBUTE_TYPE_INVALID))
        {
            throw new Pkcs11CallException("C_GetAttributeValue", rv);
        }
    }
}
