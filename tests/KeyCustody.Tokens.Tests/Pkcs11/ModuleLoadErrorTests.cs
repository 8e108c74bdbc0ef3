using KeyCustody.Tokens.Pkcs11;

namespace KeyCustody.Tokens.Tests.Pkcs11;

/// <summary>A module the dynamic loader refuses is reported with the loader's own words, not an exception type.</summary>
public sealed class ModuleLoadErrorTests
{
    /// <summary>
    /// A real shared object with an unresolved symbol, as a module built against a newer library than the one installed
    /// is (ykcs11 2.7 beside Debian's libykpiv 2.2: "undefined symbol: ykpiv_util_get_certdata"): python3-nacl's
    /// extension module, whose Python symbols only a Python process provides.
    /// </summary>
    [Fact]
    public void An_unresolved_symbol_is_named()
    {
        const string module = "/usr/lib/python3/dist-packages/nacl/_sodium.abi3.so";
        Assert.True(File.Exists(module), $"{module} is missing: run scripts/ensure-deps.sh (python3-nacl)");

        var error = Assert.Throws<DeviceErrorException>(() => Pkcs11Token.Open(new Pkcs11TokenOptions { ModulePath = module, TokenLabel = "x" }));

        Assert.True(error.Message.Contains("undefined symbol: _Py_", StringComparison.Ordinal), error.Message);
        Assert.Contains(module, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("UnmanagedException", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A module with an unresolved function, as ykcs11 2.7 beside Debian's libykpiv 2.2 is ("undefined symbol:
    /// ykpiv_util_get_certdata"): a lazy dlopen (NativeLibrary.Load's) loads it, and the process would die with "symbol
    /// lookup error" at the first call into it. It is refused at load instead, in the loader's words. The module: perl's
    /// Socket extension, whose Perl_ functions only a perl process provides.
    /// </summary>
    [Fact]
    public void An_unresolved_function_is_refused_at_load_not_at_the_first_call()
    {
        var module = Directory.EnumerateDirectories("/usr/lib/x86_64-linux-gnu/perl")
            .Select(version => Path.Combine(version, "auto", "Socket", "Socket.so"))
            .FirstOrDefault(File.Exists);
        Assert.True(module is not null, "perl's Socket.so is missing: run scripts/ensure-deps.sh (perl)");

        var error = Assert.Throws<DeviceErrorException>(() => Pkcs11Token.Open(new Pkcs11TokenOptions { ModulePath = module, TokenLabel = "x" }));

        Assert.True(error.Message.Contains("undefined symbol: Perl_", StringComparison.Ordinal), error.Message);
        Assert.Contains(module, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_no_shared_object_is_named()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("not-a-module-").FullName, "libnot-pkcs11.so");
        File.WriteAllText(file, "not an ELF file, but long enough to have a header to look at: 0123456789abcdef0123456789abcdef\n");
        try
        {
            var error = Assert.Throws<DeviceErrorException>(() => Pkcs11Token.Open(new Pkcs11TokenOptions { ModulePath = file, TokenLabel = "x" }));
            Assert.Contains("invalid ELF header", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
        }
    }
}
