using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using LowLevel = Net.Pkcs11Interop.LowLevelAPI80;

namespace KeyCustody.Tokens.Pkcs11;

/// <summary>
/// One loaded PKCS#11 module per path, shared by every token opened from it (C_Initialize once per process,
/// C_Finalize when the last token closes). Beside the high-level API it keeps a low-level handle on the same
/// module for the signing path: C_SignInit, C_Login(CKU_CONTEXT_SPECIFIC) for always-authenticate keys, C_Sign.
/// </summary>
internal sealed class Pkcs11Module
{
    private static readonly Dictionary<string, Pkcs11Module> Loaded = new(StringComparer.Ordinal);
    private static readonly object LoadGate = new();

    private int _references;

    private Pkcs11Module(string path, IPkcs11Library library, LowLevel.Pkcs11Library raw, ILibraryInfo? info)
    {
        Path = path;
        Library = library;
        Raw = raw;
        Description = info is null ? path : $"{info.ManufacturerId.Trim()} {info.LibraryDescription.Trim()} {info.LibraryVersion}".Trim();
        Ykcs11Version = info is null ? null : Pkcs11Native.Ykcs11Version(info.ManufacturerId, info.LibraryDescription, info.LibraryVersion);
    }

    public string Path { get; }

    /// <summary>Manufacturer, description and version as C_GetInfo reports them.</summary>
    public string Description { get; }

    /// <summary>Yubico's PIV module (ykcs11): its version (2.7.2 for "2.72"); null for any other module.</summary>
    public Version? Ykcs11Version { get; }

    public IPkcs11Library Library { get; }

    public LowLevel.Pkcs11Library Raw { get; }

    public static Pkcs11Module Acquire(string path)
    {
        Pkcs11Native.EnsureLoadable();
        lock (LoadGate)
        {
            if (!Loaded.TryGetValue(path, out var module))
            {
                if (!File.Exists(path))
                {
                    throw TokenErrors.TokenNotFound($"PKCS#11 module {path}", "the file does not exist; install the module (e.g. softhsm2) or fix the path");
                }

                var factories = new Pkcs11InteropFactories();
                IPkcs11Library library;
                try
                {
                    library = factories.Pkcs11LibraryFactory.LoadPkcs11Library(factories, path, AppType.MultiThreaded);
                }
                catch (Pkcs11Exception e)
                {
                    throw Pkcs11Errors.ToError(e, path, "C_Initialize");
                }
                catch (Exception e) when (e is UnmanagedException or DllNotFoundException or BadImageFormatException)
                {
                    // The loader knows why (an unresolved symbol, a missing dependency, not a shared object): say that.
                    var why = Pkcs11Native.LoaderError(path) ?? e.Message;
                    throw TokenErrors.Device(path, $"the PKCS#11 module could not be loaded: {why}", "dlopen", e);
                }

                ILibraryInfo? info;
                try
                {
                    info = library.GetInfo();
                }
                catch (Pkcs11Exception)
                {
                    info = null;
                }

                module = new Pkcs11Module(path, library, new LowLevel.Pkcs11Library(path), info);
                Loaded[path] = module;
            }

            module._references++;
            return module;
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
            Raw.Dispose();
            Library.Dispose();
        }
    }
}
