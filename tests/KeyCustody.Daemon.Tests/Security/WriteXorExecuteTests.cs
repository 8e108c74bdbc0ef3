using System.Diagnostics;
using KeyCustody.Matrix.Signing;
using KeyCustody.Protos.V1;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests.Security;

/// <summary>
/// The native daemon never makes memory both writable and executable, so the unit can say MemoryDenyWriteExecute=yes
/// (systemd/keycustodyd.service): an attacker who gets to write into the process cannot make it run what they wrote.
/// The kernel enforces the same rule here through prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN) (Linux 6.3+), set by a
/// launcher before it execs the daemon: inherited across execve, and what systemd's seccomp filter refuses is a subset
/// of it (no mapping or mprotect that adds execute to writable or anonymous memory).
/// </summary>
public sealed class WriteXorExecuteTests
{
    /// <summary>Sets the kernel's W^X rule on itself and execs the rest of its arguments.</summary>
    private const string Launcher = """
        import ctypes, os, sys
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(65, 1, 0, 0, 0) != 0:  # PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN
            sys.exit("prctl(PR_SET_MDWE) failed: errno %d (Linux 6.3 or later needed)" % ctypes.get_errno())
        os.execvp(sys.argv[1], sys.argv[1:])
        """;

    [Fact]
    public async Task The_daemon_starts_and_signs_with_write_xor_execute_enforced_by_the_kernel()
    {
        await using var d = DaemonProcess.Create();
        d.Configure(new
        {
            tokens = new[] { Simulator(d, "yk", 20000011), Software(d, "soft") },
            keys = new[]
            {
                Key("alice-ssk", "yk", "9a", "self_signing"),
                Key("srv", "soft", "srv", "server", owner: "example.org", presence: "none", version: "1"),
            },
            access = new[] { Rule(Me, ["*"], "sign", "admin") },
        });
        d.Launcher = UnderWriteXorExecute;
        await d.StartAsync();

        using var client = d.Client();
        await Generate(client, "soft", "srv");
        using var device = Ed25519SoftwareKey.Generate();
        var (events, error) = await Collect(client.Custody.SignJson(SignRequest("alice-ssk", Identities.SignedDevice(User, "PHONE", device, null))));
        Assert.Null(error);
        Assert.Equal(SignEvent.EventOneofCase.Signed, events[^1].EventCase);
        var ssk = (await client.Custody.ListKeysAsync(new ListKeysRequest())).Keys.Single(k => k.Name == "alice-ssk");
        Assert.Equal(["valid"], PythonOracle.Verify([events[^1].Signed.SignedJson[0].ToByteArray()], ssk.PublicKey, User, ssk.PublicKey));
    }

    /// <summary>The launcher is not a no-op: a .NET program that JIT-compiles cannot even start under it.</summary>
    [Fact]
    public async Task The_rule_stops_a_program_that_makes_code_at_run_time()
    {
        var start = UnderWriteXorExecute(new ProcessStartInfo("dotnet") { ArgumentList = { Binaries.Cli, "--version" } });
        start.RedirectStandardOutput = start.RedirectStandardError = true;
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode != 0, $"dotnet keycustody.dll ran under the W^X rule: {await output}{error}");
    }

    private static ProcessStartInfo UnderWriteXorExecute(ProcessStartInfo program) => PythonLauncher.Under(Launcher, program);
}
