using KeyCustody.Tokens.Pkcs11.Native;

namespace KeyCustody.Tokens.Pkcs11;

/// <summary>
/// One loaded PKCS#11 module per path, shared by every token opened from it (C_Initialize once per process,
/// C_Finalize and unloading when the last token closes), through our own binding (<see cref="Cryptoki"/>).
/// </summary>
internal sealed class Pkcs11Module
{
    private static readonly Dictionary<string, Pkcs11Module> Loaded = new(StringComparer.Ordinal);
    private static readonly object LoadGate = new();

    /// <summary>
    /// The most slots we read. A module has a slot per reader or device (p11-kit's proxy those of all its modules): a few,
    /// rarely dozens. 1024 is far beyond that, and keeps a module that announces 2^40 from choosing what we allocate.
    /// </summary>
    private const uint MaxSlots = 1024;

    private int _references;

    private Pkcs11Module(string path, Cryptoki library, Pkcs11LibraryInfo? info)
    {
        Path = path;
        Library = library;
        Description = info is null ? path : $"{info.ManufacturerId} {info.LibraryDescription} {info.LibraryVersion}".Trim();
        Ykcs11Version = info is null ? null : Pkcs11Native.Ykcs11Version(info.ManufacturerId, info.LibraryDescription, info.LibraryVersion);
        KnownIssue = info is null ? null : Pkcs11Native.KnownIssue(info.ManufacturerId, info.LibraryVersion);
    }

    public string Path { get; }

    /// <summary>Manufacturer, description and version as C_GetInfo reports them.</summary>
    public string Description { get; }

    /// <summary>Yubico's PIV module (ykcs11): its version (2.7.2 for "2.72"); null for any other module.</summary>
    public Version? Ykcs11Version { get; }

    /// <summary>What an operator must know of this module's version (<see cref="Pkcs11Native.KnownIssue"/>), or null.</summary>
    public string? KnownIssue { get; }

    public Cryptoki Library { get; }

    public static Pkcs11Module Acquire(string path)
    {
        lock (LoadGate)
        {
            if (!Loaded.TryGetValue(path, out var module))
            {
                module = Load(path);
                Loaded[path] = module;
            }

            module._references++;
            return module;
        }
    }

    /// <summary>
    /// Loads the module, reads its function list and initialises it (a module initialised already by someone else in
    /// this process is fine). The loader's own words when it refuses the file.
    /// </summary>
    private static unsafe Pkcs11Module Load(string path)
    {
        if (!File.Exists(path))
        {
            throw TokenErrors.TokenNotFound($"PKCS#11 module {path}", "the file does not exist; install the module (e.g. softhsm2) or fix the path");
        }

        Cryptoki? library;
        string? why;
        try
        {
            library = Cryptoki.Load(path, out why);
        }
        catch (Pkcs11CallException e)
        {
            throw Pkcs11Errors.ToError(e, path, "C_GetFunctionList");
        }

        if (library is null)
        {
            throw TokenErrors.Device(path, $"the PKCS#11 module could not be loaded: {why}", "dlopen");
        }

        var rv = library.C_Initialize();
        if (rv is not (CKR.CKR_OK or CKR.CKR_CRYPTOKI_ALREADY_INITIALIZED))
        {
            library.Unload();
            throw Pkcs11Errors.ToError(rv, path, "C_Initialize");
        }

        CkInfo info;
        return new Pkcs11Module(path, library, library.C_GetInfo(&info) == CKR.CKR_OK ? Pkcs11LibraryInfo.From(info) : null);
    }

    /// <summary>
    /// The slots with a token present (C_GetSlotList, asked again if a token arrived between the two calls). The counts
    /// are checked, not believed: at most <see cref="MaxSlots"/>, and the second no more than the room it was given. The
    /// room is a <see cref="GuardedBuffer"/>: a module that writes more slot ids than it was given room for is refused.
    /// </summary>
    public unsafe List<Pkcs11Slot> GetSlotList()
    {
        for (int attempt = 0; ; attempt++)
        {
            nuint count = 0;
            Cryptoki.Check(Library.C_GetSlotList(true, null, &count), "C_GetSlotList");
            if (count > MaxSlots)
            {
                throw Pkcs11CallException.Misbehaved("C_GetSlotList", Path, $"announced {count} slots (at most {MaxSlots} are read)");
            }

            var room = count;
            using var ids = new GuardedBuffer(room * (nuint)sizeof(nuint));
            var rv = Library.C_GetSlotList(true, (nuint*)ids.Region(0), &count);
            if (ids.Overrun() >= 0)
            {
                throw Pkcs11CallException.Misbehaved("C_GetSlotList", Path, $"wrote more than the {room} slot ids it was given room for");
            }

            if (rv == CKR.CKR_BUFFER_TOO_SMALL && attempt < 3)
            {
                continue;
            }

            Cryptoki.Check(rv, "C_GetSlotList");
            if (count > room)
            {
                throw Pkcs11CallException.Misbehaved("C_GetSlotList", Path, $"answered {count} slots into room for {room}");
            }

            var slots = new List<Pkcs11Slot>((int)count);
            for (int i = 0; i < (int)count; i++)
            {
                slots.Add(new Pkcs11Slot(Library, ((nuint*)ids.Region(0))[i]));
            }

            return slots;
        }
    }

    public void Release()
    {
        lock (LoadGate)
        {
            if (--_references > 0)
            {
                return;
            }

            Loaded.Remove(Path);
            _ = Library.C_Finalize();
            Library.Unload();
        }
    }
}
