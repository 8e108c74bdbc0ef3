using System.Diagnostics;
using System.Text;
using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Tests.Shared;

namespace KeyCustody.Cli.Tests.Publishing;

/// <summary>A user's cross-signing keys in software, and their /keys/device_signing/upload body.</summary>
internal sealed class SoftwareIdentity : IDisposable
{
    public SoftwareIdentity(string userId)
    {
        UserId = userId;
        Master = Ed25519SoftwareKey.Generate();
        SelfSigning = Ed25519SoftwareKey.Generate();
        UserSigning = Ed25519SoftwareKey.Generate();
        MasterJson = CrossSigningKey.Create(userId, KeyUsage.Master, Master.PublicKey).Json;
        SelfSigningJson = SignedJson.Sign(CrossSigningKey.Create(userId, KeyUsage.SelfSigning, SelfSigning.PublicKey).Json, userId, Master.PublicKey.Base64, Master);
        UserSigningJson = SignedJson.Sign(CrossSigningKey.Create(userId, KeyUsage.UserSigning, UserSigning.PublicKey).Json, userId, Master.PublicKey.Base64, Master);
    }

    public string UserId { get; }

    public Ed25519SoftwareKey Master { get; }

    public Ed25519SoftwareKey SelfSigning { get; }

    public Ed25519SoftwareKey UserSigning { get; }

    public JsonObject MasterJson { get; }

    public JsonObject SelfSigningJson { get; }

    public JsonObject UserSigningJson { get; }

    public JsonObject UploadBody => JsonObject.Of(("master_key", MasterJson), ("self_signing_key", SelfSigningJson), ("user_signing_key", UserSigningJson));

    /// <summary>Stores these keys on <paramref name="homeserver"/> as if they had been uploaded before.</summary>
    public void StoreOn(TestHomeserver homeserver)
    {
        homeserver.SetCrossSigningKey(UserId, "master", MasterJson);
        homeserver.SetCrossSigningKey(UserId, "self_signing", SelfSigningJson);
        homeserver.SetCrossSigningKey(UserId, "user_signing", UserSigningJson);
    }

    public void Dispose()
    {
        Master.Dispose();
        SelfSigning.Dispose();
        UserSigning.Dispose();
    }
}

/// <summary>A temporary directory for one test: secret files (0600 unless asked otherwise) and JSON documents.</summary>
internal sealed class TestFiles : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("keycustody-publish-");

    public string Secret(string name, string value, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("secret files need Unix permissions");
        }

        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, value);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    public string Json(string name, JsonValue value)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllBytes(path, CanonicalJson.Encode(value));
        return path;
    }

    public void Dispose() => _dir.Delete(recursive: true);
}

/// <summary>
/// The real keycustody binary with standard input kept open, so a test can act as the person: read what the
/// command prints, do what it asks (open a URL), then press Enter.
/// </summary>
internal sealed class InteractiveCli : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly SemaphoreSlim _newLine = new(0);
    private readonly Task<string> _stdout;

    public InteractiveCli(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Binaries.Cli);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        _process = Process.Start(psi)!;
        _stdout = _process.StandardOutput.ReadToEndAsync();
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(e.Data);
                }

                _newLine.Release();
            }
        };
        _process.BeginErrorReadLine();
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Waits until a line of standard error matches and returns that line.</summary>
    public async Task<string> WaitForErrorLineAsync(Func<string, bool> match)
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        while (true)
        {
            var line = Stderr.Split('\n').FirstOrDefault(match);
            if (line is not null)
            {
                return line.TrimEnd('\r');
            }

            if (_process.HasExited)
            {
                throw new InvalidOperationException("keycustody exited before printing the expected line:\n" + Stderr);
            }

            await _newLine.WaitAsync(TimeSpan.FromMilliseconds(500), cancel.Token);
        }
    }

    public void PressEnter()
    {
        _process.StandardInput.WriteLine();
        _process.StandardInput.Flush();
    }

    public async Task<(int ExitCode, string Stdout, string Stderr)> WaitAsync()
    {
        _process.StandardInput.Close();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await _process.WaitForExitAsync(cancel.Token);
        return (_process.ExitCode, await _stdout, Stderr);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
        _newLine.Dispose();
    }
}
