using System.Diagnostics;

namespace KeyCustody.Tests.Shared;

/// <summary>
/// SoftHSM2 tokens for tests that hand them to another process (the daemon): a private SOFTHSM2_CONF with its
/// own token directory, tokens initialised with softhsm2-util. The child process gets SOFTHSM2_CONF in its environment.
/// </summary>
internal sealed class SoftHsmTokens
{
    public const string Module = "/usr/lib/softhsm/libsofthsm2.so";
    public const string UserPin = "123456";
    public const string SoPin = "12345678";

    public SoftHsmTokens(string directory)
    {
        if (!File.Exists(Module))
        {
            throw new InvalidOperationException($"{Module} is missing: run scripts/ensure-deps.sh (softhsm2)");
        }

        var tokens = Directory.CreateDirectory(Path.Combine(directory, "softhsm-tokens")).FullName;
        ConfigPath = Path.Combine(directory, "softhsm2.conf");
        File.WriteAllText(ConfigPath, $"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n");
    }

    public string ConfigPath { get; }

    public string CreateToken(string label)
    {
        Run("--init-token", "--free", "--label", label, "--so-pin", SoPin, "--pin", UserPin);
        return label;
    }

    public void DeleteToken(string label) => Run("--delete-token", "--token", label);

    private void Run(params string[] arguments)
    {
        var start = new ProcessStartInfo("softhsm2-util") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
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
}
