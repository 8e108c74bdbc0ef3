using System.Text.Json.Nodes;
using KeyCustody.HomeserverSim;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests.Migration;

/// <summary>
/// The acceptance test of issue 17, judged by Element's own SDKs. matrix-sdk-crypto-wasm makes Alice's identity (two
/// devices, Bob verified) and matrix-js-sdk her secret storage, on the homeserver simulator; <c>keycustody migrate
/// --erase-from-secret-storage</c> moves it onto three simulated YubiKeys; fresh matrix-sdk-crypto-wasm sessions (a new
/// one of Alice's, and Bob's) give their verdicts from the simulator's /keys/query before and after. They must be the
/// same, except that the self-signing and user-signing keys are now the daemon's and matrix-js-sdk finds no
/// cross-signing key in secret storage. A wrong recovery key or passphrase changes nothing at all.
/// </summary>
public sealed class ReferenceSdkAcceptanceTests : IAsyncLifetime
{
    private readonly DaemonProcess _d = DaemonProcess.Create();
    private readonly HomeserverSimulator _sim = new();
    private string _root = null!;

    public async Task InitializeAsync()
    {
        _d.Configure(MigrationDaemon.Config(_d));
        await _d.StartAsync();
        _root = MigrationDaemon.RootPem(_d);
    }

    public async Task DisposeAsync()
    {
        await _sim.DisposeAsync();
        await _d.DisposeAsync();
    }

    [Theory]
    [InlineData("recovery", "--recovery-key-file", "recovery_key", "EsT6 3jMF Muhy W7b7 z4Jx vEyc bayD zzn1 3dx1 3r8n KnzV ocX3")]
    [InlineData("passphrase", "--passphrase-file", "passphrase", "correct horse battery staple, but shorter")]
    public async Task An_sdk_made_identity_migrates_with_every_verdict_of_the_reference_crypto_unchanged(string variant, string option, string secretMember, string wrongSecret)
    {
        var identity = ReferenceSdks.Run("make-identity.mjs", _sim.Url, variant);
        var identityFile = Path.Combine(_d.Root, "identity.json");
        File.WriteAllText(identityFile, identity.ToJsonString());
        var before = ReferenceSdks.Run("verdicts.mjs", _sim.Url, identityFile);
        Assert.True((bool)before["as_alice"]!["bob"]!["verified"]!, before.ToJsonString());
        Assert.All(new[] { "PHONE", "LAPTOP" }, d => Assert.True((bool)before["as_alice"]!["own_devices"]![d]!["cross_signing_trusted"]!));
        Assert.All(new[] { "PHONE", "LAPTOP" }, d => Assert.True((bool)before["as_bob"]!["alice"]!["devices"]![d]!["cross_signed_by_owner"]!));

        var token = SecretFile(_d, "token", (string)identity["alice"]!["token"]!);
        var password = SecretFile(_d, "password", (string)identity["alice"]!["password"]!);
        (int, string) Migrate(string secret) => ChildProcess.Run("dotnet", [Binaries.Cli, "--socket", _d.Socket, "migrate", "--user", "@alice:example.org",
            "--homeserver", _sim.Url, "--access-token-file", token, "--password-file", password, "--attestation-root", _root,
            option, SecretFile(_d, "secret", secret), "--erase-from-secret-storage"]);

        // A wrong key first: refused, and nothing anywhere is different.
        var (wrongExit, wrongOutput) = Migrate(wrongSecret);
        Assert.True(wrongExit == 2, wrongOutput);
        Assert.Contains(variant == "recovery" ? "the recovery key is not the one" : "the passphrase is not the one", wrongOutput, StringComparison.Ordinal);
        Assert.Equal(before.ToJsonString(), ReferenceSdks.Run("verdicts.mjs", _sim.Url, identityFile).ToJsonString());
        using (var client = _d.Client())
        {
            Assert.All((await client.GetPublicKeysAsync("@alice:example.org")).Keys, k => Assert.Equal(string.Empty, k.PublicKey));
        }

        var (exit, output) = Migrate((string)identity[secretMember]!);
        Assert.True(exit == 0, output);
        var after = ReferenceSdks.Run("verdicts.mjs", _sim.Url, identityFile);

        // The daemon now holds the identity: the master key the SDK made, new signing keys of its own.
        Dictionary<string, string> keys;
        using (var client = _d.Client())
        {
            keys = (await client.GetPublicKeysAsync("@alice:example.org")).Keys.ToDictionary(k => k.Name, k => k.PublicKey);
        }

        Assert.Equal((string)before["as_alice"]!["own_identity"]!["master_key"]!, keys["alice-master"]);
        Assert.Equal(keys["alice-master"], keys["alice-master-backup"]);
        Assert.Equal(keys["alice-ssk"], (string)after["as_alice"]!["own_identity"]!["self_signing_key"]!);
        Assert.Equal(keys["alice-usk"], (string)after["as_alice"]!["own_identity"]!["user_signing_key"]!);
        Assert.Equal(keys["alice-ssk"], (string)after["as_bob"]!["alice"]!["self_signing_key"]!);
        Assert.NotEqual(before["as_alice"]!["own_identity"]!["self_signing_key"]!.ToJsonString(), after["as_alice"]!["own_identity"]!["self_signing_key"]!.ToJsonString());

        // Every verdict is the same once the keys that were meant to change are set aside.
        Assert.Equal(Verdicts(before).ToJsonString(), Verdicts(after).ToJsonString());

        // Secret storage: the same default key, and no cross-signing secret left in it.
        Assert.Equal(before["secret_storage"]!["default_key"]!.ToJsonString(), after["secret_storage"]!["default_key"]!.ToJsonString());
        Assert.All(before["secret_storage"]!["stored"]!.AsObject(), s => Assert.True((bool)s.Value!));
        Assert.All(after["secret_storage"]!["stored"]!.AsObject(), s => Assert.False((bool)s.Value!));
        Assert.Contains("erased from the secret storage of @alice:example.org: m.cross_signing.master, m.cross_signing.self_signing, m.cross_signing.user_signing", output, StringComparison.Ordinal);
        Assert.Contains("still holds its copy", output, StringComparison.Ordinal);
        foreach (var secret in identity["private_keys"]!.AsObject())
        {
            Assert.DoesNotContain((string)secret.Value!, output, StringComparison.Ordinal);
        }
    }

    /// <summary>The verdicts without the self-signing and user-signing public keys (the part the migration replaces).</summary>
    private static JsonNode Verdicts(JsonObject all)
    {
        var copy = JsonNode.Parse(all.ToJsonString())!.AsObject();
        var own = copy["as_alice"]!["own_identity"]!.AsObject();
        own.Remove("self_signing_key");
        own.Remove("user_signing_key");
        copy["as_bob"]!["alice"]!.AsObject().Remove("self_signing_key");
        copy.Remove("secret_storage");
        return copy;
    }
}
