using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// The provisioning ceremony on two simulated YubiKeys (master alone on one, self-signing and user-signing on the
/// other), through the real CLI and daemon: generation, attestation against the simulator root, signatures, the
/// upload body, a device cross-signed with the new self-signing key that `keycustody trust check` trusts; a foreign
/// root stops it; rotation of the self-signing key keeps the identity.
/// </summary>
public sealed class ProvisioningTests : IAsyncLifetime
{
    private readonly DaemonProcess _d = DaemonProcess.Create();
    private readonly Ed25519SoftwareKey _device = Ed25519SoftwareKey.FromSeed("erins-laptop-erins-laptop-erins-"u8);

    public async Task InitializeAsync()
    {
        _d.Configure(new
        {
            tokens = new[] { Simulator(_d, "yk-master", 40000001, demoKeys: false), Simulator(_d, "yk-daily", 40000002, demoKeys: false) },
            keys = new[]
            {
                Key("alice-master", "yk-master", "9c", "master"),
                Key("alice-ssk", "yk-daily", "9a", "self_signing"),
                Key("alice-usk", "yk-daily", "9d", "user_signing"),
            },
            access = new[] { Rule(Me, ["*"], "sign", "approve", "admin") },
        });
        await _d.StartAsync();
    }

    public async Task DisposeAsync()
    {
        _device.Dispose();
        await _d.DisposeAsync();
    }

    [Fact]
    public async Task The_full_ceremony_on_two_cards_ends_in_a_trusted_device_and_rotation_keeps_the_identity()
    {
        var root = RootPem(Path.Combine(_d.StateDirectory, "simulator-root.json"));
        var foreign = RootPem(Path.Combine(_d.Root, "foreign-root.json"));
        var outDir = Path.Combine(_d.Root, "provisioned");

        // A root the operator does not trust stops provisioning at the first key, with the reason.
        var refused = Cli("provision", "--user", User, "--attestation-root", foreign, "--out", outDir);
        Assert.Equal(3, refused.Exit);
        Assert.Contains("provisioning stopped: the master key 'alice-master' on token yk-master: the attestation does not chain to a trusted root", refused.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(outDir, "device-signing-upload.json")));

        // With the simulator's root: the whole ceremony. The master key generated above was never trusted, so the
        // operator replaces it; the other keys are made fresh.
        var done = Cli("provision", "--user", User, "--attestation-root", root, "--out", outDir, "--rotate", "master", "--confirm-new-identity", "--json");
        Assert.True(done.Exit == 0, done.Output);
        Assert.Contains("NEW IDENTITY", done.Output, StringComparison.Ordinal);
        Assert.Contains("attested: ssk key made on card 40000002", done.Output, StringComparison.Ordinal);
        var again = Cli("provision", "--user", User, "--attestation-root", root, "--out", outDir + "-again");
        Assert.Equal(2, again.Exit);
        Assert.Contains("already provisioned", again.Output, StringComparison.Ordinal);
        // A usage error is one error: line: the existing keys are not checked again (nor said to be) for nothing.
        var said = Assert.Single(again.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: every cross-signing key of", said, StringComparison.Ordinal);

        var body = CanonicalJson.ParseObject(File.ReadAllBytes(Path.Combine(outDir, "device-signing-upload.json")));
        var master = CrossSigningKey.Parse(body["master_key"]!, KeyUsage.Master);
        var ssk = CrossSigningKey.Parse(body["self_signing_key"]!, KeyUsage.SelfSigning);
        var usk = CrossSigningKey.Parse(body["user_signing_key"]!, KeyUsage.UserSigning);
        Assert.True(ssk.VerifySignedBy(User, master.PublicKey).IsValid);
        Assert.True(usk.VerifySignedBy(User, master.PublicKey).IsValid);

        var record = CanonicalJson.ParseObject(File.ReadAllBytes(Path.Combine(outDir, "provisioning-record.json")));
        var attested = ((JsonArray)record["keys"]!).Cast<JsonObject>().Single(k => k.GetString("role") == "master");
        Assert.Equal("40000001", attested.GetObject("attestation")!.GetString("serial"));
        Assert.Equal(("always", "always"), (attested.GetString("pin_policy"), attested.GetString("touch_policy")));
        // Every key whose signatures need a person waits for a touch each time by default (cached is --ssk-touch cached).
        Assert.All(((JsonArray)record["keys"]!).Cast<JsonObject>(), k => Assert.Equal("always", k.GetString("touch_policy")));
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", attested.GetObject("attestation")!.GetString("certificate"), StringComparison.Ordinal);

        // A device cross-signed with the new self-signing key is trusted from the new master key.
        var query = QueryWithDevice(body, await CrossSign());
        var queryFile = Path.Combine(_d.Root, "query.json");
        File.WriteAllBytes(queryFile, CanonicalJson.Encode(query));
        var trust = Cli("trust", "check", "--query", queryFile, "--user", User, "--master-key", master.PublicKey.Base64);
        Assert.True(trust.Exit == 0, trust.Output);
        Assert.Contains($"{User} LAPTOP trusted", trust.Output, StringComparison.Ordinal);

        // Rotating the self-signing key keeps the master key: the old device signature no longer counts.
        var rotated = Cli("provision", "--user", User, "--attestation-root", root, "--out", outDir + "-rotated", "--rotate", "ssk");
        Assert.True(rotated.Exit == 0, rotated.Output);
        var body2 = CanonicalJson.ParseObject(File.ReadAllBytes(Path.Combine(outDir + "-rotated", "device-signing-upload.json")));
        Assert.Equal(master.PublicKey, CrossSigningKey.Parse(body2["master_key"]!, KeyUsage.Master).PublicKey);
        Assert.NotEqual(ssk.PublicKey, CrossSigningKey.Parse(body2["self_signing_key"]!, KeyUsage.SelfSigning).PublicKey);
        File.WriteAllBytes(queryFile, CanonicalJson.Encode(QueryWithDevice(body2, (JsonObject)query.GetObject("device_keys")!.GetObject(User)!["LAPTOP"]!)));
        var stale = Cli("trust", "check", "--query", queryFile, "--user", User, "--master-key", master.PublicKey.Base64);
        Assert.Equal(1, stale.Exit);
        Assert.Contains("not signed by their self-signing key", stale.Output, StringComparison.Ordinal);
    }

    private async Task<JsonObject> CrossSign()
    {
        using var client = _d.Client();
        var signed = await KeyCustody.Client.KeyCustodyClient.FollowAsync(
            client.Custody.SignJson(SignRequest("alice-ssk", Identities.SignedDevice(User, "LAPTOP", _device, null))), null);
        return CanonicalJson.ParseObject(signed.SignedJson[0].Span);
    }

    private static JsonObject QueryWithDevice(JsonObject upload, JsonObject device) => JsonObject.Of(
        ("device_keys", JsonObject.Of((User, JsonObject.Of(("LAPTOP", device))))),
        ("master_keys", JsonObject.Of((User, upload["master_key"]!))),
        ("self_signing_keys", JsonObject.Of((User, upload["self_signing_key"]!))),
        ("user_signing_keys", JsonObject.Of((User, upload["user_signing_key"]!))));

    private string RootPem(string rootFile)
    {
        var pem = Path.Combine(_d.Root, Path.GetFileNameWithoutExtension(rootFile) + ".pem");
        var (exit, output) = Run("dotnet", Binaries.HwSim, "root-cert", "--root", rootFile);
        Assert.True(exit == 0, output);
        File.WriteAllText(pem, output);
        return pem;
    }

    private (int Exit, string Output) Cli(params string[] args) => Run("dotnet", [Binaries.Cli, "--socket", _d.Socket, .. args]);

    private static (int Exit, string Output) Run(string program, params string[] args) => ChildProcess.Run(program, args);
}

/// <summary>The master-key backup ceremony: one seed imported into a primary and a backup card, then the usual signatures.</summary>
public sealed class MasterBackupTests : IAsyncLifetime
{
    private readonly DaemonProcess _d = DaemonProcess.Create();

    public async Task InitializeAsync()
    {
        _d.Configure(new
        {
            tokens = new[] { Simulator(_d, "yk-master", 41000001, demoKeys: false), Simulator(_d, "yk-backup", 41000002, demoKeys: false), Simulator(_d, "yk-daily", 41000003, demoKeys: false) },
            keys = new object[]
            {
                Key("alice-master", "yk-master", "9c", "master"),
                new { name = "alice-master-backup", token = "yk-backup", keyId = "9c", role = "master", owner = User, backupOf = "alice-master" },
                Key("alice-ssk", "yk-daily", "9a", "self_signing"),
                Key("alice-usk", "yk-daily", "9d", "user_signing"),
            },
            access = new[] { Rule(Me, ["*"], "sign", "approve", "admin") },
        });
        await _d.StartAsync();
    }

    public async Task DisposeAsync() => await _d.DisposeAsync();

    [Fact]
    public async Task The_same_master_key_on_two_cards_reported_as_imported_and_both_can_sign_for_the_identity()
    {
        var refused = Run(Binaries.Cli, "--socket", _d.Socket, "provision", "--user", User, "--master", "import", "--master-backup", "alice-master-backup", "--allow-unattested", "--out", _d.Root + "/out");
        Assert.Equal(2, refused.Exit);
        Assert.Contains("--confirm-master-copy", refused.Output, StringComparison.Ordinal);

        var root = Path.Combine(_d.Root, "root.pem");
        var pem = Run(Binaries.HwSim, "root-cert", "--root", Path.Combine(_d.StateDirectory, "simulator-root.json"));
        File.WriteAllText(root, pem.Output);
        var done = Run(Binaries.Cli, "--socket", _d.Socket, "provision", "--user", User, "--master", "import", "--master-backup", "alice-master-backup",
            "--confirm-master-copy", "--attestation-root", root, "--out", _d.Root + "/out");
        Assert.True(done.Exit == 0, done.Output);
        Assert.Contains("the seed is wiped from memory; the tokens report origin: imported, imported", done.Output, StringComparison.Ordinal);

        using var client = _d.Client();
        var keys = (await client.GetPublicKeysAsync(User)).Keys;
        var master = keys.Single(k => k.Name == "alice-master");
        var copy = keys.Single(k => k.Name == "alice-master-backup");
        Assert.Equal(master.PublicKey, copy.PublicKey);
        Assert.Equal("imported", copy.Origin);

        // The backup signs for the same identity: its signature on the self-signing key verifies with the master key.
        var ssk = keys.Single(k => k.Name == "alice-ssk");
        var obj = CrossSigningKey.Create(User, KeyUsage.SelfSigning, Ed25519PublicKey.FromBase64(ssk.PublicKey)).Json;
        var signed = await KeyCustody.Client.KeyCustodyClient.FollowAsync(client.Custody.SignJson(SignRequest("alice-master-backup", obj)), null);
        Assert.True(CrossSigningKey.Parse(CanonicalJson.ParseObject(signed.SignedJson[0].Span), KeyUsage.SelfSigning).VerifySignedBy(User, Ed25519PublicKey.FromBase64(master.PublicKey)).IsValid);
        var record = CanonicalJson.ParseObject(File.ReadAllBytes(Path.Combine(_d.Root, "out", "provisioning-record.json")));
        Assert.Contains("imported keys cannot be attested", ((JsonObject)((JsonArray)record["keys"]!)[0]).GetString("attestation"), StringComparison.Ordinal);
        Assert.DoesNotContain(ReadAudit(_d), r => r.ToString().Contains("seed\":", StringComparison.Ordinal));
    }

    private static (int Exit, string Output) Run(string dll, params string[] args) => ChildProcess.Run("dotnet", [dll, .. args]);
}
