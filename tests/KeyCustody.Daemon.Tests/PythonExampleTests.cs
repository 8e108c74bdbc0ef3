using System.Diagnostics;
using System.Text;
using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Protos.V1;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// examples/python/sign_device.py (Debian's python3-grpcio, stubs generated at run time, python-signedjson)
/// against a real daemon with a simulated YubiKey whose self-signing key is in slot 9a.
/// </summary>
public sealed class PythonExampleTests : IAsyncLifetime
{
    private readonly DaemonProcess _d = DaemonProcess.Create();

    public async Task InitializeAsync()
    {
        _d.Configure(new
        {
            tokens = new[] { Simulator(_d, "yk", 50000001) },
            keys = new[] { Key("alice-ssk", "yk", "9a", "self_signing") },
            access = new[] { Rule(Me, ["alice-ssk"], "sign") },
        });
        await _d.StartAsync();
    }

    public async Task DisposeAsync() => await _d.DisposeAsync();

    [Fact]
    public async Task The_example_has_a_device_signed_through_the_daemon_and_verifies_it_with_python_signedjson()
    {
        using var client = _d.Client();
        var ssk = (await client.Custody.ListKeysAsync(new ListKeysRequest())).Keys.Single(k => k.Name == "alice-ssk").PublicKey;

        var (exit, stdout, stderr) = RunExample("--socket", _d.Socket, "--key", "alice-ssk", "--device-id", "PYDEVICE");

        Assert.True(exit == 0, stdout + stderr);
        var lines = stdout.Split('\n');
        var events = lines.Where(l => l.Split(' ')[0] is "ACCEPTED" or "QUEUED" or "PRESENCE_REQUIRED" or "SIGNED").ToList();
        Assert.Equal(["ACCEPTED", "PRESENCE_REQUIRED", "SIGNED"], events.Select(l => l.Split(' ')[0]));
        Assert.EndsWith($": sign device PYDEVICE of {User} with the self-signing key", events[0], StringComparison.Ordinal);
        Assert.StartsWith("PRESENCE_REQUIRED TOUCH: touch the YubiKey with serial 50000001 within ", events[1], StringComparison.Ordinal);
        Assert.Equal("SIGNED with ed25519:" + ssk, events[2]);
        Assert.Contains(
            $"verified with python-signedjson: signatures[{User}][ed25519:{ssk}] is a valid signature by the self-signing key, and the device's own signature still verifies",
            lines);

        // Not only the script's word: the signed object it printed verifies here too.
        var signed = CanonicalJson.ParseObject(Encoding.UTF8.GetBytes(lines[Array.IndexOf(lines, "signed by the daemon:") + 1].Trim()));
        var device = DeviceKeys.Parse(signed);
        Assert.Equal(("PYDEVICE", User), (device.DeviceId, device.UserId));
        Assert.True(device.VerifySignedBy(Ed25519PublicKey.FromBase64(ssk)).IsValid);
        Assert.True(device.VerifySelfSignature().IsValid);
    }

    [Fact]
    public void An_unreachable_daemon_is_one_error_line_and_exit_2()
    {
        var (exit, stdout, stderr) = RunExample("--socket", Path.Combine(_d.Root, "nobody-listens.sock"));
        Assert.Equal(2, exit);
        Assert.Empty(stdout);
        Assert.StartsWith("error: cannot reach keycustodyd at ", Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }

    private static (int Exit, string Stdout, string Stderr) RunExample(params string[] args)
    {
        var script = Path.Combine(TestPaths.RepoRoot, "examples", "python", "sign_device.py");
        var start = new ProcessStartInfo(PythonOracle.Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(script);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(180_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("the Python example did not finish:\n" + stdout.Result + stderr.Result);
        }

        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
