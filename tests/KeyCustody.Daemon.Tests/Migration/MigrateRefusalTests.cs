using KeyCustody.HomeserverSim;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;
using static KeyCustody.Daemon.Tests.Migration.ElementIdentity;

namespace KeyCustody.Daemon.Tests.Migration;

/// <summary>
/// What <c>keycustody migrate</c> refuses before it reads secret storage: a master key configured on a PKCS#11 token
/// (importing into one is refused today), and a master key without a backup unless the person accepts that.
/// </summary>
public sealed class MigrateRefusalTests : IAsyncLifetime
{
    private readonly DaemonProcess _d = DaemonProcess.Create();
    private readonly HomeserverSimulator _sim = new();
    private ElementIdentity _id = null!;

    public async Task InitializeAsync()
    {
        var hsm = new SoftHsmTokens(_d.Root);
        hsm.CreateToken("custody");
        _d.Environment["SOFTHSM2_CONF"] = hsm.ConfigPath;
        _d.Configure(new
        {
            tokens = new object[]
            {
                new { name = "hsm", kind = "pkcs11", module = SoftHsmTokens.Module, tokenLabel = "custody", sessions = 1, pin = new { file = SecretFile(_d, "hsm.pin", SoftHsmTokens.UserPin) } },
                Simulator(_d, "yk-daily", 43000001, demoKeys: false),
            },
            keys = new[]
            {
                Key("alice-master", "hsm", "alice-master", "master"),
                Key("alice-ssk", "yk-daily", "9a", "self_signing"),
                Key("alice-usk", "yk-daily", "9d", "user_signing"),
            },
            access = new[] { Rule(Me, ["*"], "sign", "approve", "admin") },
        });
        await _d.StartAsync();
        _id = await CreateAsync(_sim);
    }

    public async Task DisposeAsync()
    {
        _id.Dispose();
        await _sim.DisposeAsync();
        await _d.DisposeAsync();
    }

    [Fact]
    public void A_master_key_without_a_backup_needs_consent_and_one_on_a_pkcs11_token_is_refused_before_secret_storage_is_read()
    {
        var requests = _sim.Requests.Count;
        string[] Migrate(params string[] more) =>
            [Binaries.Cli, "--socket", _d.Socket, "migrate", "--user", Alice, "--homeserver", _sim.Url, "--access-token-file", SecretFile(_d, "token", _id.AlicePhone.Token),
             "--recovery-key-file", SecretFile(_d, "rk", _id.RecoveryKey), "--allow-unattested", .. more];

        var noBackup = ChildProcess.Run("dotnet", Migrate());
        Assert.Equal(2, noBackup.ExitCode);
        Assert.Contains("the daemon has no backup of alice-master configured", noBackup.Output, StringComparison.Ordinal);
        Assert.Contains("--no-master-backup", noBackup.Output, StringComparison.Ordinal);

        var pkcs11 = ChildProcess.Run("dotnet", Migrate("--no-master-backup"));
        Assert.Equal(2, pkcs11.ExitCode);
        Assert.Equal(
            "error: the master key 'alice-master' is on PKCS#11 token hsm, and importing a key into a PKCS#11 token is refused today (whether a token keeps an imported key non-extractable is token-specific). Configure that key on a YubiKey (PIV) for the migration; nothing was changed",
            pkcs11.Output.Trim());
        Assert.Equal(requests, _sim.Requests.Count);
    }
}
