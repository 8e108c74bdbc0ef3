using KeyCustody.Contract;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// What the start says of the keys that cannot sign, as the start leaves them: not the demo keys the simulator bootstrap is
/// about to generate (a first start used to warn three times that they were missing), but every key still missing after
/// it. A key never made (a blank card) is information naming the command that makes it, not a warning ("generate one",
/// as the reviewer of the blank-card start read it, is no command); a key made and gone is still a warning.
/// </summary>
public sealed class StartupKeyWarningTests : IAsyncLifetime
{
    private readonly DaemonProcess _d = DaemonProcess.Create();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _d.DisposeAsync();

    [Fact]
    public async Task A_first_start_of_the_simulator_default_warns_about_no_key()
    {
        var state = Path.Combine(_d.Root, "fresh");
        _d.Socket = Path.Combine(state, DaemonSockets.SocketFileName);
        _d.Arguments = ["--simulator", "--state-dir", state];
        await _d.StartAsync();
        // Stopped, so the output is all there: the bootstrap ran (the demo keys were generated) and nothing warned before.
        await _d.StopAsync();

        Assert.Contains("Simulator: generated demo key demo-master", _d.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Key not usable yet", _d.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_still_missing_after_the_bootstrap_is_named_with_the_command_that_makes_it()
    {
        _d.Configure(new
        {
            tokens = new[] { Simulator(_d, "sim-demo", 41000001), Simulator(_d, "sim-blank", 41000002, demoKeys: false) },
            keys = new[] { Key("alice-msk", "sim-demo", "9c", "master"), Key("alice-ssk", "sim-blank", "9a", "self_signing") },
            access = new[] { Rule(Me, ["*"], "sign", "admin") },
        });
        await _d.StartAsync();
        await _d.StopAsync();

        Assert.Contains("Simulator: generated demo key alice-msk", _d.Output, StringComparison.Ordinal);
        Assert.Contains(
            $"INF Not generated yet: alice-ssk (9a on sim-blank) of {User}, as on blank tokens before provisioning. Next: keycustody provision --user {User} --attestation-root ROOT.pem (",
            _d.Output,
            StringComparison.Ordinal);
        Assert.DoesNotContain("alice-msk (9c", _d.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Key not usable yet", _d.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// A key that is not a cross-signing key is made with keys generate; once made (and pinned), its slot found empty at
    /// a later start is a warning in the token's words: the card was reset or replaced, nothing to provision.
    /// </summary>
    [Fact]
    public async Task A_key_never_made_names_keys_generate_and_a_key_made_and_gone_is_a_warning()
    {
        _d.Configure(new
        {
            tokens = new[] { Software(_d, "soft") },
            keys = new[] { Key("server", "soft", "srv", "server", owner: "example.org", presence: "none", version: "1") },
            access = new[] { Rule(Me, ["*"], "sign", "admin") },
        });
        await _d.StartAsync();
        using (var client = _d.Client())
        {
            await Generate(client, "soft", "srv");
        }

        await _d.StopAsync();
        var first = _d.Output;
        Assert.Contains("INF Not generated yet: server (srv on soft). Next: keycustody keys generate --key server", first, StringComparison.Ordinal);
        Assert.DoesNotContain("Key not usable yet", first, StringComparison.Ordinal);

        File.Delete(Path.Combine(_d.Root, "soft", "srv.ed25519"));
        await _d.StartAsync();
        await _d.StopAsync();
        var second = _d.Output[first.Length..];
        Assert.Contains($"WRN Key not usable yet: server: Token software:{Path.Combine(_d.Root, "soft")} holds no Ed25519 key named srv", second, StringComparison.Ordinal);
        Assert.DoesNotContain("Not generated yet", second, StringComparison.Ordinal);
    }

    /// <summary>
    /// A PKCS#11 module whose version is known to leak in every signature (SoftHSM2 2.6, Debian 12's) is named at start
    /// with what the operator can do; a software token alone says nothing of it.
    /// </summary>
    [Fact]
    public async Task A_softhsm2_token_that_leaks_in_every_signature_is_a_warning_at_start()
    {
        var hsm = new KeyCustody.Tests.Shared.SoftHsmTokens(_d.Root);
        hsm.CreateToken("leaky");
        _d.Environment["SOFTHSM2_CONF"] = hsm.ConfigPath;
        _d.Configure(new
        {
            tokens = new object[]
            {
                Software(_d, "soft"),
                new { name = "hsm", kind = "pkcs11", module = KeyCustody.Tests.Shared.SoftHsmTokens.Module, tokenLabel = "leaky", pin = new { file = SecretFile(_d, "hsm.pin", KeyCustody.Tests.Shared.SoftHsmTokens.UserPin) } },
            },
            keys = new[] { Key("hsm-server", "hsm", "srv", "server", owner: "example.org", presence: "none", version: "hsm") },
            access = new[] { Rule(Me, ["*"], "sign", "admin") },
        });
        await _d.StartAsync();
        await _d.StopAsync();

        var installed = KeyCustody.Tests.Shared.SoftHsmTokens.InstalledVersion();
        if (installed < new Version(2, 7))
        {
            Assert.Contains($"WRN Token hsm: SoftHSM2 {installed.Major}.{installed.Minor} keeps memory it allocates in every Ed25519 signature", _d.Output, StringComparison.Ordinal);
            Assert.Contains("Restart it now and then, or use a SoftHSM2 with the fix", _d.Output, StringComparison.Ordinal);
        }
        else
        {
            Assert.DoesNotContain("keeps memory", _d.Output, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("Token soft:", _d.Output, StringComparison.Ordinal);
    }
}
