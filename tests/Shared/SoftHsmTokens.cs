using System.Diagnostics;

namespace KeyCustody.Tests.Shared;

/// <summary>
/// SoftHSM2 tokens in a private SOFTHSM2_CONF with its own token directory, initialised with softhsm2-util.
/// A child process (the daemon) gets the configuration with <see cref="AddTo"/> (or <see cref="ConfigVariable"/> in
/// its environment); a test that loads the module in its own process needs <see cref="ExportToThisProcess"/> before
/// the first C_Initialize, because SoftHSM2 reads the variable there, through the native environment.
/// <para>
/// SoftHSM2 reads its token directory at C_Initialize: a token created after that is seen only once the module has
/// been finalised and initialised again (in-process tests close every token they open, one test at a time).
/// </para>
/// This file is also compiled on its own into bench/KeyCustody.Daemon.Bench: it uses nothing else from tests/Shared.
/// </summary>
internal sealed class SoftHsmTokens
{
    public const string Module = "/usr/lib/softhsm/libsofthsm2.so";
    public const string UserPin = "123456";
    public const string SoPin = "12345678";

    /// <summary>The installed Debian package's upstream version, major.minor (2.6 for 2.6.1-2.1).</summary>
    public static Version InstalledVersion()
    {
        var start = new ProcessStartInfo("/usr/bin/dpkg-query", ["-W", "-f=${Version}", "softhsm2"]) { RedirectStandardOutput = true };
        using var p = Process.Start(start)!;
        var parts = p.StandardOutput.ReadToEnd().Split('.', '-', ':');
        p.WaitForExit();
        return new Version(int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The variable SoftHSM2 reads for its configuration file.</summary>
    public const string ConfigVariable = "SOFTHSM2_CONF";

    /// <param name="directory">Where the configuration and the token directory go (an existing test directory).</param>
    public SoftHsmTokens(string directory)
        : this(directory, Module)
    {
    }

    /// <param name="directory">Where the configuration and the token directory go (an existing test directory).</param>
    /// <param name="module">
    /// The SoftHSM2 module the tokens are made through (softhsm2-util --module) and that the caller then loads: the
    /// system's, or another build of it (the daemon benchmark's KEYCUSTODY_BENCH_SOFTHSM_MODULE).
    /// </param>
    public SoftHsmTokens(string directory, string module)
    {
        if (!File.Exists(module))
        {
            throw new InvalidOperationException(module == Module
                ? $"{Module} is missing: run scripts/ensure-deps.sh (softhsm2)"
                : $"the SoftHSM2 module {module} is missing");
        }

        ModulePath = module;

        var tokens = Directory.CreateDirectory(Path.Combine(directory, "softhsm-tokens")).FullName;
        ConfigPath = Path.Combine(directory, "softhsm2.conf");
        File.WriteAllText(ConfigPath, $"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n");
    }

    public string ConfigPath { get; }

    /// <summary>The module these tokens are made through (<see cref="Module"/> unless another was given).</summary>
    public string ModulePath { get; }

    /// <summary>Initialises a token with <see cref="SoPin"/> and <see cref="UserPin"/>; returns its label.</summary>
    public string CreateToken(string label) => CreateToken(label, UserPin);

    /// <summary>Initialises a token with <see cref="SoPin"/> and the given user PIN; returns its label.</summary>
    public string CreateToken(string label, string userPin)
    {
        Run("--init-token", "--free", "--label", label, "--so-pin", SoPin, "--pin", userPin);
        return label;
    }

    public void DeleteToken(string label) => Run("--delete-token", "--token", label);

    /// <summary>Points a child process (keycustodyd, softhsm2-util, pkcs11-tool) at these tokens.</summary>
    public void AddTo(ProcessStartInfo start)
    {
        ArgumentNullException.ThrowIfNull(start);
        start.Environment[ConfigVariable] = ConfigPath;
    }

    /// <summary>
    /// Points this process's SoftHSM2 at these tokens, with libc setenv (Environment.SetEnvironmentVariable does not
    /// reach native getenv on Unix) and in the managed environment as well. Call it before the module's first
    /// C_Initialize in this process.
    /// </summary>
    public void ExportToThisProcess()
    {
        NativeEnvironment.Set(ConfigVariable, ConfigPath);
    }

    private void Run(params string[] arguments)
    {
        var start = new ProcessStartInfo("softhsm2-util") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        AddTo(start);
        // Through the module the tokens will be used with (softhsm2-util's own default is the system's, the same path).
        start.ArgumentList.Add("--module");
        start.ArgumentList.Add(ModulePath);
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
