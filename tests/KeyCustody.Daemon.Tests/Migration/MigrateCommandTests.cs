using KeyCustody.HomeserverSim;
using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Matrix.Trust;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;
using static KeyCustody.Daemon.Tests.Migration.ElementIdentity;

namespace KeyCustody.Daemon.Tests.Migration;

/// <summary>
/// <c>keycustody migrate</c> end to end: the real CLI and daemon (three simulated YubiKeys: master, its backup, and one
/// for the self-signing and user-signing keys), the homeserver simulator holding an identity left by Element with
/// secret storage written by matrix-js-sdk. The reference SDKs' own verdicts are in the JS acceptance test
///; these check the tool's steps and refusals.
/// </summary>
public sealed class MigrateCommandTests : IAsyncLifetime
{
    private readonly DaemonProcess _d = DaemonProcess.Create();
    private readonly HomeserverSimulator _sim = new();
    private ElementIdentity _id = null!;
    private string _root = null!;

    public async Task InitializeAsync()
    {
        _d.Configure(MigrationDaemon.Config(_d));
        await _d.StartAsync();
        _root = MigrationDaemon.RootPem(_d);
    }

    public async Task DisposeAsync()
    {
        _id?.Dispose();
        await _sim.DisposeAsync();
        await _d.DisposeAsync();
    }

    private (int Exit, string Output) Migrate(params string[] more)
    {
        var token = SecretFile(_d, "token", _id.AlicePhone.Token);
        var password = SecretFile(_d, "password", Password);
        return ChildProcess.Run("dotnet", [Binaries.Cli, "--socket", _d.Socket, "migrate", "--user", Alice, "--homeserver", _sim.Url,
            "--access-token-file", token, "--password-file", password, "--attestation-root", _root, .. more]);
    }

    private async Task<Dictionary<string, string>> DaemonKeys()
    {
        using var client = _d.Client();
        return (await client.GetPublicKeysAsync(Alice)).Keys.ToDictionary(k => k.Name, k => k.PublicKey);
    }

    [Fact]
    public async Task The_identity_moves_onto_the_tokens_keeps_its_master_key_and_every_verdict_and_a_second_run_does_nothing_twice()
    {
        _id = await CreateAsync(_sim);

        // A device the old self-signing key signed although its own self-signature does not verify (a server could
        // publish that): it is not signed again.
        using var tablet = Ed25519SoftwareKey.FromSeed("alice-tablet-alice-tablet-alice-"u8);
        var forged = Identities.SignedDevice(Alice, "TABLET", tablet, null).With("algorithms", new JsonArray("m.megolm.v1.aes-sha2"));
        _sim.AddDevice(forged);
        var tabletUpload = await _id.AlicePhone.PostAsync("keys/signatures/upload", JsonObject.Of((Alice, JsonObject.Of(("TABLET", SignedJson.Sign(forged, Alice, _id.SelfSigning.PublicKey.Base64, _id.SelfSigning))))));
        Assert.Equal(JsonObject.Empty, tabletUpload.GetObject("failures"));

        var before = await _id.AlicePhone.QueryAsync(Alice, Bob);
        var verdictsBefore = Verdicts(before);
        Assert.Equal(3, verdictsBefore.Count(v => v.Value));

        var r = Migrate("--recovery-key-file", SecretFile(_d, "rk", _id.RecoveryKey));
        Assert.True(r.Exit == 0, r.Output);
        Assert.DoesNotContain(_id.RecoveryKey, r.Output, StringComparison.Ordinal);

        // The master key is on both cards, the new signing keys on theirs; the old private keys are nowhere here.
        var keys = await DaemonKeys();
        Assert.Equal(_id.Master.PublicKey.Base64, keys["alice-master"]);
        Assert.Equal(_id.Master.PublicKey.Base64, keys["alice-master-backup"]);
        Assert.NotEqual(_id.SelfSigning.PublicKey.Base64, keys["alice-ssk"]);
        Assert.NotEqual(_id.UserSigning.PublicKey.Base64, keys["alice-usk"]);
        Assert.Contains("attested: made on card 42000003", r.Output, StringComparison.Ordinal);
        Assert.Contains("skipped: device TABLET: its own self-signature does not verify, so it is not signed again", r.Output, StringComparison.Ordinal);
        Assert.Contains("signed again with the new keys: 2 device(s), 1 other user(s)", r.Output, StringComparison.Ordinal);

        var after = await _id.AlicePhone.QueryAsync(Alice, Bob);
        Assert.Equal(_id.Master.PublicKey.Base64, CrossSigningKey.Parse(after.GetObject("master_keys")!.GetObject(Alice)!, KeyUsage.Master).PublicKey.Base64);
        Assert.Equal(keys["alice-ssk"], CrossSigningKey.Parse(after.GetObject("self_signing_keys")!.GetObject(Alice)!, KeyUsage.SelfSigning).PublicKey.Base64);
        Assert.Equal(verdictsBefore, Verdicts(after));
        var bobMaster = after.GetObject("master_keys")!.GetObject(Bob)!;
        Assert.True(SignedJson.Verify(bobMaster, Alice, "ed25519:" + keys["alice-usk"], Ed25519PublicKey.FromBase64(keys["alice-usk"])).IsValid);

        // As Bob sees Alice: the same master key, both devices cross-signed by her (new) self-signing key.
        var bobView = await _id.BobDevice.QueryAsync(Alice);
        Assert.Equal(CrossSigningKey.Create(Alice, KeyUsage.Master, _id.Master.PublicKey).Json, bobView.GetObject("master_keys")!.GetObject(Alice));
        foreach (var device in new[] { "PHONE", "LAPTOP" })
        {
            Assert.True(DeviceKeys.Parse(bobView.GetObject("device_keys")!.GetObject(Alice)!.GetObject(device)!).VerifySignedBy(Ed25519PublicKey.FromBase64(keys["alice-ssk"])).IsValid);
        }

        // Without --erase-from-secret-storage, 4S is left as it was, and the person is told.
        Assert.False(Matrix.SecretStorage.EncryptedSecret.IsErased(_sim.AccountData(Alice, "m.cross_signing.master")));
        Assert.Contains("secret storage still holds the three private keys", r.Output, StringComparison.Ordinal);

        // Again, now erasing: nothing is imported, generated or published twice; the three secrets are overwritten.
        var uploads = _sim.RequestsTo("keys/device_signing/upload").Count();
        var again = Migrate("--recovery-key-file", SecretFile(_d, "rk", _id.RecoveryKey), "--erase-from-secret-storage", "--json");
        Assert.True(again.Exit == 0, again.Output);
        Assert.Contains("already holds " + _id.Master.PublicKey.Base64 + ": not imported again", again.Output, StringComparison.Ordinal);
        Assert.Contains("already holds the published ssk key", again.Output, StringComparison.Ordinal);
        Assert.Equal(uploads, _sim.RequestsTo("keys/device_signing/upload").Count());
        Assert.Equal(keys, await DaemonKeys());
        foreach (var name in new[] { "m.cross_signing.master", "m.cross_signing.self_signing", "m.cross_signing.user_signing" })
        {
            Assert.Equal(JsonObject.Of(("encrypted", JsonObject.Empty)), _sim.AccountData(Alice, name));
        }

        Assert.NotNull(_sim.AccountData(Alice, "m.secret_storage.default_key"));
        var report = CanonicalJson.ParseObject(System.Text.Encoding.UTF8.GetBytes(again.Output.Split('\n').Single(l => l.StartsWith('{'))));
        Assert.Equal(new JsonArray("m.cross_signing.master", "m.cross_signing.self_signing", "m.cross_signing.user_signing"), report["erased_from_secret_storage"]);
    }

    [Theory]
    [InlineData("recovery_key", "--recovery-key-file", "EsT6 3jMF Muhy W7b7 z4Jx vEyc bayD zzn1 3dx1 3r8n KnzV ocX3", "the recovery key is not the one of secret storage key")]
    [InlineData("passphrase", "--passphrase-file", "It's a secret to nobody", "the passphrase is not the one of secret storage key")]
    [InlineData("recovery_key", "--recovery-key-file", "EsT6 3jMF Muhy W7b7 z4Jx vEyc bayD zzn1 3dx1 3r8n KnzV ocX4", "this is not a recovery key: its parity byte does not match")]
    public async Task A_wrong_recovery_key_or_passphrase_is_refused_before_anything_is_touched(string variant, string option, string wrong, string message)
    {
        _id = await CreateAsync(_sim, variant);
        var accountData = AllAccountData();
        var requests = _sim.Requests.Count;
        var r = Migrate(option, SecretFile(_d, "wrong", wrong));
        Assert.Equal(2, r.Exit);
        Assert.Contains(message, r.Output, StringComparison.Ordinal);
        Assert.All(_sim.Requests.Skip(requests), q => Assert.Equal("GET", q.Method));
        Assert.Equal(accountData, AllAccountData());
        Assert.All(await DaemonKeys(), k => Assert.Equal(string.Empty, k.Value));
    }

    [Fact]
    public async Task The_passphrase_variant_migrates_too_with_the_existing_signing_keys_imported_as_they_are()
    {
        _id = await CreateAsync(_sim, "passphrase");
        var r = Migrate("--passphrase-file", SecretFile(_d, "pp", _id.Passphrase), "--import-signing-keys");
        Assert.True(r.Exit == 0, r.Output);
        var keys = await DaemonKeys();
        Assert.Equal(_id.Master.PublicKey.Base64, keys["alice-master"]);
        Assert.Equal(_id.SelfSigning.PublicKey.Base64, keys["alice-ssk"]);
        Assert.Equal(_id.UserSigning.PublicKey.Base64, keys["alice-usk"]);
        Assert.Empty(_sim.RequestsTo("keys/device_signing/upload").Where(q => q.Authorization!.EndsWith(_id.AlicePhone.Token, StringComparison.Ordinal)).Skip(1));
        Assert.Empty(_sim.RequestsTo("keys/signatures/upload").Skip(3));

        // The daemon signs for the same identity: its self-signing key's signature on a device verifies.
        using var client = _d.Client();
        var origins = (await client.GetPublicKeysAsync(Alice)).Keys.ToDictionary(k => k.Name, k => k.Origin);
        Assert.All(origins.Values, o => Assert.Equal("imported", o));
    }

    [Fact]
    public async Task Secret_storage_out_of_date_with_the_published_master_key_imports_nothing()
    {
        _id = await CreateAsync(_sim);
        using var other = Ed25519SoftwareKey.FromSeed("another-master-another-master-an"u8);
        _sim.SetCrossSigningKey(Alice, "master", CrossSigningKey.Create(Alice, KeyUsage.Master, other.PublicKey).Json);
        var r = Migrate("--recovery-key-file", SecretFile(_d, "rk", _id.RecoveryKey));
        Assert.Equal(1, r.Exit);
        Assert.Contains($"the master key in secret storage ({_id.Master.PublicKey.Base64}) is not the published one ({other.PublicKey.Base64}): secret storage is out of date; nothing was imported", r.Output, StringComparison.Ordinal);
        Assert.All(await DaemonKeys(), k => Assert.Equal(string.Empty, k.Value));
    }

    private Dictionary<string, string> AllAccountData() =>
        _id.Variant.GetProperty("account_data").EnumerateObject().ToDictionary(e => e.Name, e => _sim.AccountData(Alice, e.Name)!.ToString());

    private Dictionary<string, bool> Verdicts(JsonObject query) =>
        TrustEvaluator.Evaluate(query, Alice, _id.Master.PublicKey).ToDictionary(v => v.UserId + " " + v.DeviceId, v => v.Trusted);
}
