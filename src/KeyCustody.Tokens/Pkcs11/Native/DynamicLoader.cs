using System.Runtime.InteropServices;

namespace KeyCustody.Tokens.Pkcs11.Native;

/// <summary>
/// Loads a PKCS#11 module with dlopen(RTLD_NOW) rather than <see cref="NativeLibrary.Load(string)"/>, which asks for
/// RTLD_LAZY: a module built against a newer library than the one installed (ykcs11 2.7 beside Debian's libykpiv 2.2:
/// "undefined symbol: ykpiv_util_get_certdata") then loads, and the process dies with "symbol lookup error" at the
/// first call into it. With RTLD_NOW the loader refuses it here and says why in its own words, which we pass on.
/// Other systems than Linux (not a target of the daemon) go through <see cref="NativeLibrary"/>.
/// </summary>
internal static partial class DynamicLoader
{
    private const int RtldNow = 2;

    /// <summary>The module's handle, or 0 with the loader's reason in <paramref name="error"/>.</summary>
    public static nint Open(string path, out string? error)
    {
        error = null;
        if (!OperatingSystem.IsLinux())
        {
            try
            {
                return NativeLibrary.Load(path);
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                error = e.Message;
                return 0;
            }
        }

        // Binding a P/Invoke resolves its symbol with dlsym, which resets the loader's error: bind dlerror first.
        _ = DlError();
        var handle = DlOpen(path, RtldNow);
        if (handle == 0)
        {
            var message = DlError();
            error = message == 0 ? "dlopen failed without a reason" : Marshal.PtrToStringUTF8(message);
        }

        return handle;
    }

    /// <summary>The address of an exported function, or 0 if the module has none of that name.</summary>
    public static nint Symbol(nint library, string name) =>
        OperatingSystem.IsLinux() ? DlSym(library, name) : NativeLibrary.TryGetExport(library, name, out var address) ? address : 0;

    public static void Close(nint library)
    {
        if (OperatingSystem.IsLinux())
        {
            _ = DlClose(library);
        }
        else
        {
            NativeLibrary.Free(library);
        }
    }

    // glibc 2.34+ has these in libc itself; libdl.so.2 remains as the name every glibc resolves them by.
    [LibraryImport("libdl.so.2", EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint DlOpen(string path, int flags);

    [LibraryImport("libdl.so.2", EntryPoint = "dlsym", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint DlSym(nint library, string name);

    [LibraryImport("libdl.so.2", EntryPoint = "dlerror")]
    private static partial nint DlError();

    [LibraryImport("libdl.so.2", EntryPoint = "dlclose")]
    private static partial int DlClose(nint library);
}
