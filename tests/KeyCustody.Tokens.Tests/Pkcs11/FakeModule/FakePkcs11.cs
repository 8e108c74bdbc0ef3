using KeyCustody.Tests.Shared;
using KeyCustody.Tokens.Pkcs11;

namespace KeyCustody.Tokens.Tests.Pkcs11.FakeModule;

/// <summary>
/// The lying PKCS#11 module (fake_pkcs11.c), compiled with clang once per test run into a temporary directory. A fake
/// below the binding's seam: the real side (SoftHSM2, ykcs11) is what the other PKCS#11 tests use. Each call of
/// <see cref="Module"/> gives a copy of its own, named fake_pkcs11@MODE@N.so, from which the module reads its
/// misbehaviour: tests running at once load separate modules and share no environment.
/// </summary>
internal static class FakePkcs11
{
    /// <summary>The fake's one token.</summary>
    public const string TokenLabel = "fake";

    /// <summary>CKA_EC_POINT of the fake's keys: RFC 8032's first test public key as a DER OCTET STRING.</summary>
    public static readonly byte[] EcPoint = Convert.FromHexString("0420d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");

    private static readonly Lazy<string> Compiled = new(Compile);
    private static int _copies;

    /// <summary>A fresh copy of the module that misbehaves as <paramref name="mode"/> says (see fake_pkcs11.c).</summary>
    public static string Module(string mode)
    {
        var path = Path.Combine(Path.GetDirectoryName(Compiled.Value)!, $"fake_pkcs11@{mode}@{Interlocked.Increment(ref _copies)}.so");
        File.Copy(Compiled.Value, path);
        return path;
    }

    /// <summary>The fake's token through the product's own opening path (one signing session beside the admin one).</summary>
    public static Pkcs11Token Open(string module) =>
        Pkcs11Token.Open(new Pkcs11TokenOptions { ModulePath = module, TokenLabel = TokenLabel, PoolSize = 1 });

    /// <summary>Runs <paramref name="test"/> on a session of the fake's token, below the token code (the binding alone).</summary>
    public static void WithSession(string mode, Action<Pkcs11Session> test)
    {
        var module = Pkcs11Module.Acquire(Module(mode));
        try
        {
            using var session = module.GetSlotList().Single().OpenSession(readWrite: false);
            test(session);
        }
        finally
        {
            module.Release();
        }
    }

    private static string Compile()
    {
        var source = Path.Combine(AppContext.BaseDirectory, "FakeModule", "fake_pkcs11.c");
        Assert.True(File.Exists(source), $"{source} is missing (copied to the output by the test project)");
        var output = Path.Combine(Directory.CreateTempSubdirectory("fake-pkcs11-").FullName, "fake_pkcs11.so");
        (int ExitCode, string Output) result;
        try
        {
            result = ChildProcess.Run("clang", ["-shared", "-fPIC", "-O1", "-Wall", "-Wextra", "-Werror", "-o", output, source]);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("clang is missing: run scripts/ensure-deps.sh (clang)", e);
        }

        Assert.True(result.ExitCode == 0, $"clang could not compile {source}: {result.Output}");
        return output;
    }
}
