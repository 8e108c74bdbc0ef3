using Google.Protobuf;
using KeyCustody.HomeserverSim;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.SecretStorage;
using KeyCustody.Protos.V1;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;
using static KeyCustody.Daemon.Tests.Migration.ElementIdentity;

namespace KeyCustody.Daemon.Tests.Migration;

/// <summary>
/// <c>keycustody migrate</c> and what the daemon knows of each key (issue 12's provenance), through the real CLI,
/// daemon and homeserver simulator: the master key from secret storage is recorded as imported (who, when) and
/// accepted for the migration (audited, the reason naming the migration and the secret storage read), since a card
/// attests only keys it generated; the new signing keys are admitted as provision admits them, and one whose
/// attestation fails is rejected and not built on by a re-run; a key an earlier migrate imported without an
/// acceptance is accepted as the key from secret storage, any other unaccepted key stops the run, named.
/// </summary>
public sealed class MigrationProvenanceTests : IAsyncLifetime
{
    private readonly DaemonProcess _d = DaemonProcess.Create();
    private readonly HomeserverSimulator _sim = new();
    private ElementIdentity _id = null!;
    private string _root = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _id?.Dispose();
        await _sim.DisposeAsync();
        await _d.DisposeAsync();
    }

    [Fact]
    public async Task The_migrated_master_key_is_recorded_as_imported_and_accepted_for_the_migration_and_the_new_keys_as_attested()
    {
        await StartAsync(foreignDaily: false);
        var r = Migrate();
        Assert.True(r.ExitCode == 0, r.Output);

        using var client = _d.Client();
        var keys = (await client.GetPublicKeysAsync(Alice)).Keys.ToDictionary(k => k.Name);
        var master = _id.Master.PublicKey.Base64;
        foreach (var name in new[] { "alice-master", "alice-master-backup" })
        {
            var p = keys[name].Provenance;
            Assert.Equal(("imported", "none", true), (p.Origin, p.Attestation, p.Trusted));
            Assert.StartsWith(Me + " ", p.By, StringComparison.Ordinal);
            Assert.True(p.At > 0);
            Assert.Contains("imported keys cannot be attested", p.AttestationDetail, StringComparison.Ordinal);
            Assert.Null(p.Rejected);
            Assert.StartsWith(Me + " ", p.Accepted.By, StringComparison.Ordinal);
            Assert.StartsWith($"keycustody migrate: the master key of {Alice}, read from secret storage on {_sim.Url}", p.Accepted.Reason, StringComparison.Ordinal);
            Assert.Contains($"(secret storage key '{_id.Variant.GetProperty("key_id").GetString()}')", p.Accepted.Reason, StringComparison.Ordinal);
            Assert.Contains("a card attests only keys it generated", p.Accepted.Reason, StringComparison.Ordinal);

            // The acceptance is audited with its reason, after the import and before the master key signed anything.
            var audit = ReadAudit(_d);
            var imported = audit.FindIndex(a => a.GetString("kind") == "admin_outcome" && a.GetString("operation") == "import_key" && a.GetString("key") == name);
            var accepted = audit.FindIndex(a => a.GetString("kind") == "admin_intent" && a.GetString("operation") == "accept_key" && a.GetString("key") == name);
            Assert.True(imported >= 0 && accepted > imported, $"import at {imported}, acceptance at {accepted}");
            Assert.Equal((master, p.Accepted.Reason), (audit[accepted].GetString("public_key"), audit[accepted].GetString("reason")));
            Assert.Contains(audit, a => a.GetString("kind") == "key_provenance" && a.GetString("key") == name && a.GetString("change") == "accepted" && a["trusted"] is JsonBoolean { Value: true });
            Assert.True(accepted < audit.FindIndex(a => a.GetString("kind") == "intent"));
        }

        foreach (var name in new[] { "alice-ssk", "alice-usk" })
        {
            var p = keys[name].Provenance;
            Assert.Equal(("generated", "attested", true), (p.Origin, p.Attestation, p.Trusted));
            Assert.StartsWith("made on card 42000003", p.AttestationDetail, StringComparison.Ordinal);
            Assert.Null(p.Accepted);
        }

        var list = ChildProcess.Run("dotnet", [Binaries.Cli, "--socket", _d.Socket, "keys", "list"]);
        Assert.True(list.ExitCode == 0, list.Output);
        Assert.Contains(list.Output.Split('\n'), l => l.StartsWith("alice-master\t", StringComparison.Ordinal) && l.EndsWith("provenance=imported,none,accepted\ttrusted", StringComparison.Ordinal));
        Assert.Contains(list.Output.Split('\n'), l => l.StartsWith("alice-ssk\t", StringComparison.Ordinal) && l.EndsWith("provenance=generated,attested\ttrusted", StringComparison.Ordinal));

        // The report names each key and how it was admitted.
        var again = Migrate("--json");
        Assert.True(again.ExitCode == 0, again.Output);
        var report = CanonicalJson.ParseObject(System.Text.Encoding.UTF8.GetBytes(again.Output.Split('\n').Single(l => l.StartsWith('{'))));
        var entries = report.GetArray("keys")!.OfType<JsonObject>().ToDictionary(e => e.GetString("name")!);
        Assert.Contains("accepted by " + Me, entries["alice-master"].GetString("attestation"), StringComparison.Ordinal);
        Assert.Equal("42000003", entries["alice-ssk"].GetObject("attestation")!.GetString("serial"));
    }

    [Fact]
    public async Task A_new_signing_key_whose_attestation_fails_is_rejected_and_a_re_run_refuses_to_build_on_it_naming_it()
    {
        await StartAsync(foreignDaily: true);
        var uploads = _sim.RequestsTo("keys/device_signing/upload").Count();
        var first = Migrate("--erase-from-secret-storage");
        Assert.True(first.ExitCode == 3, first.Output);
        Assert.Contains("migration stopped: the ssk key 'alice-ssk' on token yk-daily: the attestation does not chain to a trusted root", first.Output, StringComparison.Ordinal);
        Assert.Contains("the daemon now refuses it, and nothing was signed or published with it, and secret storage is untouched", first.Output, StringComparison.Ordinal);
        Assert.Contains("keycustody keys generate --key alice-ssk --overwrite --pin-policy never --touch-policy cached", first.Output, StringComparison.Ordinal);

        using (var client = _d.Client())
        {
            var keys = (await client.GetPublicKeysAsync(Alice)).Keys.ToDictionary(k => k.Name);
            Assert.Contains("its attestation failed the operator's check in keycustody migrate", keys["alice-ssk"].Provenance.Rejected.Reason, StringComparison.Ordinal);
            Assert.False(keys["alice-ssk"].Provenance.Trusted);
            Assert.Equal(string.Empty, keys["alice-usk"].PublicKey);
            Assert.Equal(("imported", true), (keys["alice-master"].Provenance.Origin, keys["alice-master"].Provenance.Trusted));
        }

        var second = Migrate("--erase-from-secret-storage");
        Assert.True(second.ExitCode == 3, second.Output);
        Assert.Contains("migration stopped: the existing ssk key 'alice-ssk' on token yk-daily cannot be built on: it was rejected by " + Me, second.Output, StringComparison.Ordinal);
        Assert.Contains("Nothing was imported, generated, signed or published, and secret storage is untouched", second.Output, StringComparison.Ordinal);

        // Nothing was built on it: no signature by any key, nothing published, nothing generated by the re-run, 4S intact.
        var audit = ReadAudit(_d);
        Assert.DoesNotContain(audit, a => a.GetString("kind") == "intent");
        Assert.Single(audit, a => a.GetString("kind") == "admin_intent" && a.GetString("operation") == "generate_key");
        Assert.Equal(uploads, _sim.RequestsTo("keys/device_signing/upload").Count());
        Assert.False(EncryptedSecret.IsErased(_sim.AccountData(Alice, "m.cross_signing.master")));
    }

    [Fact]
    public async Task A_master_key_an_earlier_migrate_imported_without_an_acceptance_is_accepted_as_the_key_from_secret_storage_but_no_other_key()
    {
        await StartAsync(foreignDaily: false);

        // As the migrate that predates provenance left it: the master key on both cards, imported, accepted by nobody;
        // and a key in the self-signing slot that is neither the one from secret storage nor attested.
        using (var client = _d.Client())
        {
            var seed = _id.MasterSeed();
            foreach (var name in new[] { "alice-master", "alice-master-backup" })
            {
                await client.Admin.ImportKeyAsync(new ImportKeyRequest { Key = name, Seed = ByteString.CopyFrom(seed), PinPolicy = "always", TouchPolicy = "always" });
            }

            await client.Admin.ImportKeyAsync(new ImportKeyRequest { Key = "alice-ssk", Seed = ByteString.CopyFrom("not-from-secret-storage-not-from"u8), PinPolicy = "never", TouchPolicy = "cached" });
            Assert.All((await client.GetPublicKeysAsync(Alice)).Keys.Where(k => k.PublicKey.Length > 0), k => Assert.False(k.Provenance.Trusted));
        }

        var refused = Migrate();
        Assert.True(refused.ExitCode == 3, refused.Output);
        Assert.Contains("the existing ssk key 'alice-ssk' on token yk-daily cannot be built on: it is not attested (imported keys cannot be attested", refused.Output, StringComparison.Ordinal);
        Assert.Contains("no admin has accepted it; add --allow-unattested to accept it", refused.Output, StringComparison.Ordinal);

        // The way out the refusal names: a new key on the card; then the migration goes through, the master key kept.
        var replaced = ChildProcess.Run("dotnet", [Binaries.Cli, "--socket", _d.Socket, "keys", "generate", "--key", "alice-ssk", "--overwrite", "--pin-policy", "never", "--touch-policy", "cached"]);
        Assert.True(replaced.ExitCode == 0, replaced.Output);
        var done = Migrate();
        Assert.True(done.ExitCode == 0, done.Output);
        Assert.Contains($"already holds {_id.Master.PublicKey.Base64}: not imported again", done.Output, StringComparison.Ordinal);

        using var after = _d.Client();
        var keys = (await after.GetPublicKeysAsync(Alice)).Keys.ToDictionary(k => k.Name);
        foreach (var name in new[] { "alice-master", "alice-master-backup" })
        {
            var p = keys[name].Provenance;
            Assert.True(p.Trusted, p.UntrustedReason);
            Assert.StartsWith($"keycustody migrate: the master key of {Alice}, read from secret storage", p.Accepted.Reason, StringComparison.Ordinal);
            Assert.Contains($"; already on its token (imported by {Me} ", p.Accepted.Reason, StringComparison.Ordinal);
        }

        Assert.Equal(keys["alice-ssk"].PublicKey, replaced.Output.Trim());
        Assert.Equal(("generated", "attested"), (keys["alice-ssk"].Provenance.Origin, keys["alice-ssk"].Provenance.Attestation));
    }

    private async Task StartAsync(bool foreignDaily)
    {
        _d.Configure(MigrationDaemon.Config(_d, foreignDaily));
        await _d.StartAsync();
        _root = MigrationDaemon.RootPem(_d);
        _id = await CreateAsync(_sim);
    }

    private (int ExitCode, string Output) Migrate(params string[] more) =>
        ChildProcess.Run("dotnet", [Binaries.Cli, "--socket", _d.Socket, "migrate", "--user", Alice, "--homeserver", _sim.Url,
            "--access-token-file", SecretFile(_d, "token", _id.AlicePhone.Token), "--password-file", SecretFile(_d, "password", Password),
            "--recovery-key-file", SecretFile(_d, "rk", _id.RecoveryKey), "--attestation-root", _root, .. more]);
}
