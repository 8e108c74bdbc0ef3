using System.Diagnostics;
using System.Text;
using System.Text.Json;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Protos.V1;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// OpenPGP cards the whole real way: keycustodyd → libpcsclite → a private pcscd → vpcd → two keycustody-hwsim YubiKey
/// 5.4.3s (Ed25519 only through OpenPGP). The provisioning ceremony through the real CLI makes the identity on them
/// (master on one card's signature key; self-signing on the other's signature key, user-signing on its authentication
/// key), each attestation checked against the simulator root by the CLI and by the daemon; then `keycustody sign`
/// signs Matrix JSON with the touch prompt, and python-signedjson verifies it.
/// </summary>
public sealed class OpenPgpPcscTests : IAsyncLifetime
{
    private const uint MasterCard = 23000001;
    private const uint DailyCard = 23000002;

    /// <summary>A backstop only: every wait below ends on what it waits for.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private readonly DaemonProcess _d = DaemonProcess.Create();
    private readonly Ed25519SoftwareKey _device = Ed25519SoftwareKey.FromSeed("gretas-laptop-gretas-laptop-gret"u8);
    private PrivatePcscd _pcscd = null!;
    private Process _hwsim = null!;
    private string _root = null!;

    public async Task InitializeAsync()
    {
        _pcscd = new PrivatePcscd("daemon-openpgp-");
        var control = Path.Combine(_d.Root, "hwsim.sock");
        var rootFile = Path.Combine(_d.Root, "hwsim-root.json");
        _hwsim = HwSim("run", "--profile", "yubikey-5.4.3", "--vpcd", _pcscd.Endpoint(0).ToString(), "--vpcd", _pcscd.Endpoint(1).ToString(),
            "--serial", MasterCard.ToString(System.Globalization.CultureInfo.InvariantCulture), "--touch", "auto", "--touch-delay", "50", "--control", control, "--root", rootFile);
        var deadline = DateTime.UtcNow + Patience;
        while (!File.Exists(control))
        {
            Assert.False(_hwsim.HasExited, "keycustody-hwsim exited");
            Assert.True(DateTime.UtcNow < deadline, "keycustody-hwsim's control socket did not appear");
            await Task.Delay(100);
        }

        _root = RootPem(rootFile, Path.Combine(_d.Root, "hwsim-root.pem"));
        var pin = SecretFile(_d, "pin", "123456");
        var adminPin = SecretFile(_d, "admin-pin", "12345678");
        _d.Environment[PrivatePcscd.SocketVariable] = _pcscd.SocketPath;
        _d.Configure(new
        {
            tokens = new object[]
            {
                new { name = "pgp-master", kind = "openpgp", serial = MasterCard, pin = new { file = pin }, adminPin = new { file = adminPin } },
                new { name = "pgp-daily", kind = "openpgp", serial = DailyCard, pin = new { file = pin }, adminPin = new { file = adminPin } },
            },
            keys = new[]
            {
                Key("alice-master", "pgp-master", "sig", "master"),
                Key("alice-ssk", "pgp-daily", "sig", "self_signing"),
                Key("alice-usk", "pgp-daily", "aut", "user_signing"),
            },
            access = new[] { Rule(Me, ["*"], "sign", "approve", "admin") },
            attestation = new { roots = new[] { _root } },
        });
        await _d.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _d.DisposeAsync();
        if (!_hwsim.HasExited)
        {
            _hwsim.Kill();
            _hwsim.WaitForExit(10_000);
        }

        _hwsim.Dispose();
        _pcscd.Dispose();
        _device.Dispose();
    }

    [Fact]
    public async Task Provisioning_on_two_yubikey_543s_then_keycustody_sign_with_the_touch_prompt_verified_by_python_signedjson()
    {
        var outDir = Path.Combine(_d.Root, "provisioned");
        var provisioned = Cli("provision", "--user", User, "--attestation-root", _root, "--out", outDir, "--json");
        Assert.True(provisioned.Exit == 0, provisioned.Output);
        Assert.Contains("PIN policy 'once' instead of the default 'never'", provisioned.Output, StringComparison.Ordinal);
        using var record = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(outDir, "provisioning-record.json")));
        var entries = record.RootElement.GetProperty("keys").EnumerateArray().ToList();
        Assert.Equal(["master", "self_signing", "user_signing"], entries.Select(e => e.GetProperty("role").GetString()));
        foreach (var entry in entries)
        {
            Assert.Equal("openpgp", entry.GetProperty("token_kind").GetString());
            var attestation = entry.GetProperty("attestation");
            Assert.Equal(entry.GetProperty("token").GetString() == "pgp-master" ? "23000001" : "23000002", attestation.GetProperty("serial").GetString());
            Assert.Equal("5.4.3", attestation.GetProperty("firmware").GetString());
        }

        Assert.Equal(("always", "always"), (entries[0].GetProperty("pin_policy").GetString(), entries[0].GetProperty("touch_policy").GetString()));
        Assert.Equal("once", entries[1].GetProperty("pin_policy").GetString());
        Assert.Equal("once", entries[2].GetProperty("pin_policy").GetString());

        // The daemon checked every attestation itself too, and reports the cards.
        using var client = _d.Client();
        var keys = (await client.Custody.ListKeysAsync(new ListKeysRequest())).Keys;
        var status = Cli("status");
        Assert.True(status.Exit == 0, status.Output);
        Assert.Contains("pgp-master\topenpgp\tpresent\tserial 23000001\tfirmware 5.4.3\tPIN retries 3\tadmin PIN retries 3\tsignatures ", status.Output, StringComparison.Ordinal);

        // keycustody sign: a device object signed by the self-signing key on the OpenPGP card, with the touch prompt.
        var payload = Path.Combine(_d.Root, "device.json");
        File.WriteAllBytes(payload, CanonicalJson.Encode(Identities.SignedDevice(User, "GRETALAPTOP", _device, null)));
        var signed = Cli("sign", "--key", "alice-ssk", payload);
        Assert.True(signed.Exit == 0, signed.Output);
        Assert.Contains($"touch your YubiKey (serial {DailyCard})", signed.Output, StringComparison.Ordinal);
        var document = Encoding.UTF8.GetBytes(signed.Output.Split('\n').Single(line => line.StartsWith('{')));
        var ssk = keys.Single(k => k.Name == "alice-ssk").PublicKey;
        Assert.Equal(["valid"], PythonOracle.Verify([document], ssk, User, ssk));

        // The master key's card counted its signatures (the two cross-signing keys), the daily card's signature key one.
        using var counters = JsonDocument.Parse(Cli("status", "--json").Output.Split('\n').First(l => l.StartsWith('[')));
        var byName = counters.RootElement.EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!, t => t.GetProperty("signature_counter").GetInt64());
        Assert.Equal(2, byName["pgp-master"]);
        Assert.Equal(1, byName["pgp-daily"]);
    }

    private (int Exit, string Output) Cli(params string[] args) => ChildProcess.Run("dotnet", [Binaries.Cli, "--socket", _d.Socket, .. args]);

    private static Process HwSim(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Binaries.HwSim);
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        var p = Process.Start(start)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }
}
