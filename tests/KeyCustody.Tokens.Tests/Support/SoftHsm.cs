using System.Diagnostics;
using System.Runtime.InteropServices;
using KeyCustody.Tokens.Pkcs11;

namespace KeyCustody.Tokens.Tests.Support;

/// <summary>
/// SoftHSM2 for this test process: one temporary SOFTHSM2_CONF (token directory in a temp dir), set in the
/// native environment before the module is first loaded (SoftHSM reads it at C_Initialize, once per process).
/// Tokens are created per test with softhsm2-util, each with a unique label.
/// </summary>
internal static partial class SoftHsm
{
    public const string Module = "/usr/lib/softhsm/libsofthsm2.so";
    public const string UserPin = "123456";
    public const string SoPin = "12345678";

    private static readonly Lazy<string> Config = new(CreateConfig);

    public static string ConfigPath => Config.Value;

    /// <summary>Creates a token and returns its label.</summary>
    public static string CreateToken(string? label = null)
    {
        label ??= "t-" + Guid.NewGuid().ToString("N")[..12];
        Run("--init-token", "--free", "--label", label, "--so-pin", SoPin, "--pin", UserPin);
        return label;
    }

    public static void DeleteToken(string label) => Run("--delete-token", "--token", label);

    public static Pkcs11Token Open(string label, int? poolSize = null) =>
        Pkcs11Token.Open(new Pkcs11TokenOptions { ModulePath = Module, TokenLabel = label, PoolSize = poolSize });

    private static string CreateConfig()
    {
        if (!File.Exists(Module))
        {
            throw new InvalidOperationException($"{Module} is missing: run scripts/ensure-deps.sh (softhsm2)");
        }

        var root = Directory.CreateTempSubdirectory("tokens-softhsm-").FullName;
        var tokens = Directory.CreateDirectory(Path.Combine(root, "tokens")).FullName;
        var config = Path.Combine(root, "softhsm2.conf");
        File.WriteAllText(config, $"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n");
        if (SetEnv("SOFTHSM2_CONF", config, 1) != 0)
        {
            throw new InvalidOperationException("setenv(SOFTHSM2_CONF) failed");
        }

        Environment.SetEnvironmentVariable("SOFTHSM2_CONF", config);
        return config;
    }

    private static void Run(params string[] arguments)
    {
        var start = new ProcessStartInfo("softhsm2-util") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["SOFTHSM2_CONF"] = ConfigPath;
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("softhsm2-util did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"softhsm2-util {string.Join(' ', arguments)} failed ({process.ExitCode}): {output.Result}{error}");
        }
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);
}
