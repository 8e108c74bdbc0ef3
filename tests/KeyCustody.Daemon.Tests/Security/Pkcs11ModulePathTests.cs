using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests.Security;

/// <summary>
/// A PKCS#11 module is code the daemon dlopens into the process that holds the tokens' PINs. The validator checked
/// File.Exists(module) and the loader then called dlopen(module): for a bare name ("opensc-pkcs11.so") the first
/// looks in the working directory and the second in the loader's search path (LD_LIBRARY_PATH, ld.so.cache, /usr/lib),
/// so the file checked was not the file loaded; a relative path loads from the working directory. And a module others
/// can write was loaded like any other, though a configuration file others can write is refused.
/// </summary>
public sealed class Pkcs11ModulePathTests
{
    [Fact]
    public async Task A_module_given_by_a_relative_name_is_refused()
    {
        await using var d = DaemonProcess.Create();
        d.Configure(new { tokens = new object[] { new { name = "hsm", kind = "pkcs11", module = "opensc-pkcs11.so", tokenLabel = "x" } } });
        // A file of that name in the working directory: the check saw it, the loader did not look there.
        File.WriteAllText(Path.Combine(d.Root, "opensc-pkcs11.so"), "not a module");
        var start = Binaries.DaemonStart(["--config", d.ConfigFile, "--check-config"]);
        start.WorkingDirectory = d.Root;
        start.RedirectStandardOutput = start.RedirectStandardError = true;
        using var p = System.Diagnostics.Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 2, await stdout + stderr);
        Assert.Contains("tokens[0].module: 'opensc-pkcs11.so' is not an absolute path", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_module_others_can_write_is_refused()
    {
        await using var d = DaemonProcess.Create();
        var module = Path.Combine(d.Root, "libsofthsm2.so");
        File.Copy(SoftHsmTokens.Module, module);
        File.SetUnixFileMode(module, (UnixFileMode)Convert.ToInt32("777", 8));
        d.Configure(new { tokens = new object[] { new { name = "hsm", kind = "pkcs11", module, tokenLabel = "x", pin = new { file = SecretFile(d, "hsm.pin", SoftHsmTokens.UserPin) } } } });
        var (exit, stdout, stderr) = d.RunToEnd("--config", d.ConfigFile, "--check-config");
        Assert.True(exit == 2, stdout + stderr);
        Assert.Contains($"tokens[0].module: {module} is writable by other users", stderr, StringComparison.Ordinal);
    }
}
