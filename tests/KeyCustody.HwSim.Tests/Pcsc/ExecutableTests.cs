using System.Diagnostics;
using System.Text.Json;
using KeyCustody.HwSim.Tests.Support;
using KeyCustody.Tests.Shared;

namespace KeyCustody.HwSim.Tests.Pcsc;

/// <summary>The real keycustody-hwsim process behind pcscd, driven through its control CLI.</summary>
[Collection(PcscdCollection.Name)]
public sealed class ExecutableTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly PrivatePcscd _pcscd;
    private readonly string _work = Directory.CreateTempSubdirectory("hwsim-exe-").FullName;
    private readonly string _control;
    private readonly Process _simulator;
    private readonly string _reader = PrivatePcscd.ReaderName(0);

    public ExecutableTests(PcscdFixture fixture)
    {
        _pcscd = fixture.Pcscd;
        _control = Path.Combine(_work, "control.sock");
        _simulator = StartDotnet(
            "run", "--vpcd", _pcscd.Endpoint(0).ToString(), "--serial", "5550003", "--touch", "manual",
            "--touch-timeout", "30000", "--control", _control, "--root", Path.Combine(_work, "root.json"),
            "--state", Path.Combine(_work, "card.json"));
        var deadline = DateTime.UtcNow + Patience;
        while (!File.Exists(_control))
        {
            if (_simulator.HasExited)
            {
                Assert.Fail("keycustody-hwsim exited: " + _simulator.StandardError.ReadToEnd());
            }

            Assert.True(DateTime.UtcNow < deadline, "no control socket");
            Thread.Sleep(50);
        }
    }

    [Fact]
    public async Task Status_touch_unplug_and_plug_through_the_cli()
    {
        using var client = new PcscClient();
        Assert.True(client.WaitUntilPresent(_reader, Patience));
        var status = Control("status");
        var card = status.RootElement.GetProperty("cards")[0];
        Assert.Equal(5550003u, card.GetProperty("serial").GetUInt32());
        Assert.Equal("manual", card.GetProperty("touch_mode").GetString());
        Assert.True(card.GetProperty("vpcd_connected").GetBoolean());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_work, "card.json")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_work, "root.json")));

        using (var connection = client.ConnectWhenPresent(_reader, Patience))
        {
            var host = new PivHost(connection.Transmit);
            host.Select();
            host.Expect("00 F8 00 00", "00 54 AF B3 90 00");
            Assert.Equal(0x9000, host.Authenticate());
            Assert.Equal(0x9000, PivHost.Sw(host.SendRaw(Hex.Parse("00 47 00 9A 0B AC 09 80 01 E0 AA 01 01 AB 01 02"))));
            var sign = Task.Run(() => host.Send("00 87 E0 9A 0B 7C 09 82 00 81 05 68 65 6C 6C 6F"));
            var deadline = DateTime.UtcNow + Patience;
            while (!Control("status").RootElement.GetProperty("cards")[0].GetProperty("waiting_for_touch").GetBoolean())
            {
                Assert.True(DateTime.UtcNow < deadline, "the card never asked for a touch");
                Thread.Sleep(50);
            }

            Assert.Equal(5550003u, Control("touch").RootElement.GetProperty("touched")[0].GetUInt32());
            var signature = await sign.WaitAsync(Patience);
            Assert.StartsWith("7C 42 82 40", signature, StringComparison.Ordinal);
            Assert.EndsWith("90 00", signature, StringComparison.Ordinal);
        }

        Control("unplug");
        Assert.True(client.WaitUntilAbsent(_reader, Patience), "unplug did not remove the card");
        Assert.False(Control("status").RootElement.GetProperty("cards")[0].GetProperty("present").GetBoolean());
        Control("plug");
        using var again = client.ConnectWhenPresent(_reader, Patience);
        var fresh = new PivHost(again.Transmit);
        fresh.Select();
        Assert.StartsWith("01 01 E0 02 02 01 02", fresh.Send("00 F7 00 9A"), StringComparison.Ordinal);
    }

    /// <summary>The keycustody CLI's conventions: one 'error:' line and exit 2 for a refused request, 5 for nobody there.</summary>
    [Fact]
    public void Apdus_reports_what_the_card_received_through_pcscd_and_resets()
    {
        using var client = new PcscClient();
        using (var connection = client.ConnectWhenPresent(_reader, Patience))
        {
            var host = new PivHost(connection.Transmit);
            Control("apdus", "--reset");
            host.Select();
            host.Send("00 FD 00 00");
        }

        var card = Control("apdus", "--reset").RootElement.GetProperty("cards")[0];
        Assert.Equal(2, card.GetProperty("total").GetInt64());
        Assert.Equal(1, card.GetProperty("by_ins").GetProperty("a4").GetInt64());
        Assert.Equal(1, card.GetProperty("by_ins").GetProperty("fd").GetInt64());
        Assert.Equal(0, Control("apdus").RootElement.GetProperty("cards")[0].GetProperty("total").GetInt64());
    }

    [Fact]
    public void Control_errors_are_reported()
    {
        var (exit, output) = RunCli("status", "--serial", "999", "--control", _control);
        Assert.Equal(2, exit);
        Assert.Equal("error: no card with serial 999", output.Trim());
        (exit, output) = RunCli("status", "--control", Path.Combine(_work, "nothing.sock"));
        Assert.Equal(5, exit);
        Assert.StartsWith($"error: cannot reach the simulator at {Path.Combine(_work, "nothing.sock")}: there is no socket there", output, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (!_simulator.HasExited)
        {
            _simulator.Kill();
            _simulator.WaitForExit(10_000);
        }

        _simulator.Dispose();
        using var client = new PcscClient();
        Assert.True(client.WaitUntilAbsent(_reader, Patience), "pcscd did not notice the card leaving");
        Directory.Delete(_work, recursive: true);
    }

    private JsonDocument Control(params string[] verb)
    {
        var (exit, output) = RunCli([.. verb, "--control", _control]);
        Assert.True(exit == 0, output);
        return JsonDocument.Parse(output);
    }

    private static (int Exit, string Output) RunCli(params string[] arguments)
    {
        using var process = StartDotnet(arguments);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(30_000), "keycustody-hwsim CLI hung");
        return (process.ExitCode, output.Result + error.Result);
    }

    private static Process StartDotnet(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "keycustody-hwsim.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start)!;
    }
}
