using System.Text.Json;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// A PKCS#11 token laid out as Yubico's ykcs11 lays out a YubiKey (SoftHSM2 with differing labels on the halves,
/// CKA_ID pairing, CKA_ALWAYS_AUTHENTICATE on the 9c-like key; the layout itself is checked against ykcs11 in the
/// token tests): the daemon signs Ed25519 with keys named by id and by either half's label, through the real CLI,
/// shows their PIN policy, and a configured key its token no longer holds is exit 5, not bad input.
/// </summary>
public sealed class Pkcs11KeyNamesTests : IAsyncLifetime
{
    private readonly DaemonProcess _d = DaemonProcess.Create();
    private readonly Ed25519SoftwareKey _device = Ed25519SoftwareKey.FromSeed("carols-laptop-carols-laptop-caro"u8);

    public async Task InitializeAsync()
    {
        var hsm = new SoftHsmTokens(_d.Root);
        hsm.CreateToken("yk-like");
        Ykcs11LikeLayout.Write(
            SoftHsmTokens.Module,
            hsm.ConfigPath,
            "yk-like",
            SoftHsmTokens.UserPin,
            [(0x02, Ykcs11LikeLayout.Signature, true), (0x01, Ykcs11LikeLayout.Authentication, false)],
            publicOnlyLabel: "gone");
        _d.Environment["SOFTHSM2_CONF"] = hsm.ConfigPath;
        _d.Configure(new
        {
            tokens = new object[]
            {
                new { name = "yk", kind = "pkcs11", module = SoftHsmTokens.Module, tokenLabel = "yk-like", sessions = 1, pin = new { file = SecretFile(_d, "yk.pin", SoftHsmTokens.UserPin) } },
            },
            keys = new[]
            {
                Key("alice-ssk", "yk", "id:02", "self_signing", presence: "none"),
                Key("alice-usk", "yk", "Private key for PIV Authentication", "user_signing", presence: "none"),
                Key("bob-ssk", "yk", "label:Public key for Digital Signature", "self_signing", owner: Other, presence: "none"),
                Key("carol-ssk", "yk", "gone", "self_signing", owner: "@carol:example.org", presence: "none"),
            },
            access = new[] { Rule(Me, ["*"], "sign", "admin") },
        });
        await _d.StartAsync();
        using var client = _d.Client();
        await Accept(client, "alice-ssk");
        await Accept(client, "bob-ssk");
    }

    public async Task DisposeAsync()
    {
        _device.Dispose();
        await _d.DisposeAsync();
    }

    [Fact]
    public void Keys_named_by_id_and_by_either_label_sign_through_the_cli_and_show_their_pin_policy()
    {
        var keys = Keys();
        Assert.Equal("always", keys["alice-ssk"].GetProperty("pin_policy").GetString());
        Assert.Equal("once", keys["alice-usk"].GetProperty("pin_policy").GetString());
        Assert.Equal("never", keys["alice-ssk"].GetProperty("touch_policy").GetString());
        var ssk = keys["alice-ssk"].GetProperty("public_key").GetString()!;
        Assert.Equal(ssk, keys["bob-ssk"].GetProperty("public_key").GetString());
        Assert.NotEqual(ssk, keys["alice-usk"].GetProperty("public_key").GetString());

        foreach (var (key, owner) in new[] { ("alice-ssk", User), ("bob-ssk", Other) })
        {
            var device = CanonicalJson.Encode(Identities.SignedDevice(owner, "LAPTOP", _device, null));
            var (exit, output, errors) = Cli(device, "sign", "--key", key);
            Assert.True(exit == 0, errors);
            Assert.Equal(["valid"], PythonOracle.Verify([System.Text.Encoding.UTF8.GetBytes(output.Trim())], ssk, owner, ssk));
        }
    }

    [Fact]
    public void A_configured_key_the_token_does_not_hold_is_unavailable_not_bad_input()
    {
        var device = CanonicalJson.Encode(Identities.SignedDevice("@carol:example.org", "LAPTOP", _device, null));
        var (exit, _, errors) = Cli(device, "sign", "--key", "carol-ssk");
        Assert.True(exit == 5, errors);
        Assert.Contains("gone", errors, StringComparison.Ordinal);
        Assert.Contains("no private key with its CKA_ID", errors, StringComparison.Ordinal);
    }

    private Dictionary<string, JsonElement> Keys()
    {
        var (exit, output, errors) = Cli(null, "--json", "keys", "list");
        Assert.True(exit == 0, errors);
        using var json = JsonDocument.Parse(output);
        return json.RootElement.EnumerateArray().ToDictionary(k => k.GetProperty("name").GetString()!, k => k.Clone());
    }

    /// <summary>The real CLI as this user: exit code, standard output, standard error.</summary>
    private (int Exit, string Output, string Errors) Cli(byte[]? input, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])[Binaries.Cli, "--socket", _d.Socket, .. args])
        {
            start.ArgumentList.Add(a);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        if (input is not null)
        {
            process.StandardInput.BaseStream.Write(input);
        }

        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr);
    }
}
