using System.Diagnostics;
using System.Text.Json;
using KeyCustody.HwSim.Tests.Support;
using KeyCustody.Tests.Shared;

namespace KeyCustody.HwSim.Tests.Pcsc;

/// <summary>The real keycustody-hwsim process with <c>--profile nitrokey-3</c> behind pcscd: its ATR, applets and status.</summary>
[Collection(PcscdCollection.Name)]
public sealed class ExecutableProfileTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly string _work = Directory.CreateTempSubdirectory("hwsim-exe-profile-").FullName;
    private readonly string _control;
    private readonly string _reader = PrivatePcscd.ReaderName(1);
    private readonly Process _simulator;

    public ExecutableProfileTests(PcscdFixture fixture)
    {
        _control = Path.Combine(_work, "control.sock");
        _simulator = Dotnet(
            "run", "--vpcd", fixture.Pcscd.Endpoint(1).ToString(), "--serial", "5550005", "--profile", "nitrokey-3",
            "--control", _control, "--root", Path.Combine(_work, "root.json"), "--state", Path.Combine(_work, "card.json"));
        var deadline = DateTime.UtcNow + Patience;
        while (!File.Exists(_control))
        {
            Assert.False(_simulator.HasExited, "keycustody-hwsim exited: " + (_simulator.HasExited ? _simulator.StandardError.ReadToEnd() : string.Empty));
            Assert.True(DateTime.UtcNow < deadline, "no control socket");
            Thread.Sleep(50);
        }
    }

    [Fact]
    public void A_nitrokey_3_card_has_its_atr_openpgp_without_piv_and_says_so_in_status()
    {
        using var client = new PcscClient();
        using (var connection = client.ConnectWhenPresent(_reader, Patience))
        {
            Assert.Equal([.. CardProfile.Nitrokey3.Atr], connection.Atr());
            Assert.Equal("6A 82", Hex.Format(connection.Transmit(Hex.Parse("00 A4 04 00 05 A0 00 00 03 08"))));
            Assert.Equal("90 00", Hex.Format(connection.Transmit(Hex.Parse("00 A4 04 00 06 D2 76 00 01 24 01"))));
            Assert.Equal("D2 76 00 01 24 01 03 04 00 0F 00 54 AF B5 00 00 90 00", Hex.Format(connection.Transmit(Hex.Parse("00 CA 00 4F 00"))));
        }

        using var process = Dotnet("status", "--control", _control);
        var output = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(30_000));
        var card = JsonDocument.Parse(output).RootElement.GetProperty("cards")[0];
        Assert.Equal("nitrokey-3", card.GetProperty("profile").GetString());
        Assert.Equal(3, card.GetProperty("openpgp_pin_retries").GetInt32());
        Assert.Equal(3, card.GetProperty("openpgp_admin_pin_retries").GetInt32());
        Assert.Equal(0, card.GetProperty("openpgp_signature_counter").GetInt32());
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

    private static Process Dotnet(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "keycustody-hwsim.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start)!;
    }
}
