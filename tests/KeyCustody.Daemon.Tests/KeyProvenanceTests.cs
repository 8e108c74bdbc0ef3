using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Protos.V1;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// What the real daemon knows of how each key came to be: kept beside the pins in a private state file, shown by
/// ListKeys, GetPublicKeys and <c>keys list</c>, checked again at every start; and the admin's acceptance of a key
/// that cannot be attested, recorded and audited, without which a cross-signing key does not sign.
/// </summary>
public sealed class KeyProvenanceTests
{
    private readonly Ed25519SoftwareKey _device = Ed25519SoftwareKey.FromSeed("gretas-tablet-gretas-tablet-gret"u8);

    [Fact]
    public async Task Each_key_shows_where_it_was_made_and_the_root_its_attestation_chains_to_and_this_is_kept_across_restarts()
    {
        await using var d = DaemonProcess.Create();
        d.Configure(new
        {
            // The card keeps its keys in a state file, so the daemon finds the same keys after its restart.
            tokens = new object[]
            {
                new { name = "yk", kind = "simulator", serial = 43000001u, touch = "auto", touchDelayMs = 20, demoKeys = true, stateFile = Path.Combine(d.Root, "yk.card.json"),
                    pin = new { file = SecretFile(d, "yk.pin", "123456") }, managementKey = new { file = SecretFile(d, "yk.mgm", "010203040506070801020304050607080102030405060708") } },
                Software(d, "soft"),
            },
            keys = new[]
            {
                Key("alice-master", "yk", "9c", "master"),
                Key("alice-ssk", "yk", "9a", "self_signing"),
                Key("alice-usk", "yk", "9d", "user_signing"),
                Key("server", "soft", "srv", "server", owner: "example.org", presence: "none", version: "1"),
            },
            access = new[] { Rule(Me, ["*"], "sign", "admin") },
        });
        await d.StartAsync();
        using (var client = d.Client())
        {
            await Generate(client, "soft", "srv");
        }

        var root = X509Certificate2.CreateFromPem(File.ReadAllText(RootPem(Path.Combine(d.StateDirectory, "simulator-root.json"), Path.Combine(d.Root, "root.pem"))));
        async Task Check()
        {
            using var client = d.Client();
            var keys = (await client.GetPublicKeysAsync(User)).Keys;
            Assert.Equal(3, keys.Count);
            foreach (var key in keys)
            {
                var p = key.Provenance;
                Assert.Equal(("generated", "keycustodyd (simulator demo keys)", "attested"), (p.Origin, p.By, p.Attestation));
                Assert.True(p.At > 0);
                Assert.StartsWith("made on card 43000001 (firmware ", p.AttestationDetail, StringComparison.Ordinal);
                Assert.Equal(root.Subject, p.AttestationRoot);
                Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(root.RawData)), p.AttestationRootSha256);
                Assert.Matches("^[0-9a-f]{64}$", p.CertificateSha256);
                Assert.True(p.Trusted);
                Assert.Equal(string.Empty, p.UntrustedReason);
            }

            var server = (await client.Custody.ListKeysAsync(new ListKeysRequest())).Keys.Single(k => k.Name == "server");
            Assert.Equal(("generated", "none", true), (server.Provenance.Origin, server.Provenance.Attestation, server.Provenance.Trusted));
            Assert.Contains("a software key proves nothing about where it lives", server.Provenance.AttestationDetail, StringComparison.Ordinal);
        }

        await Check();
        var file = Path.Combine(d.StateDirectory, "provenance.json");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        var (exit, output) = ChildProcess.Run("dotnet", [Binaries.Cli, "--socket", d.Socket, "keys", "list"]);
        Assert.True(exit == 0, output);
        Assert.Contains("alice-ssk\t", output, StringComparison.Ordinal);
        Assert.Contains("provenance=generated,attested\ttrusted", output, StringComparison.Ordinal);

        // After a restart the record is read back and the evidence checked again; nothing is recorded anew.
        var records = ReadAudit(d).Count(r => r.GetString("kind") == "key_provenance");
        d.Kill();
        await d.StartAsync();
        await Check();
        Assert.Equal(records, ReadAudit(d).Count(r => r.GetString("kind") == "key_provenance"));
        root.Dispose();
    }

    [Fact]
    public async Task A_cross_signing_key_on_a_token_that_cannot_attest_signs_only_once_an_admin_accepts_it_and_never_once_rejected()
    {
        await using var d = DaemonProcess.Create();
        d.Configure(new
        {
            tokens = new[] { Software(d, "soft") },
            keys = new[] { Key("alice-ssk", "soft", "ssk", "self_signing", presence: "none") },
            access = new[] { Rule(Me, ["*"], "sign", "admin") },
        });
        await d.StartAsync();
        using var client = d.Client();
        var publicKey = await Generate(client, "soft", "ssk");
        var device = Identities.SignedDevice(User, "TABLET", _device, null);

        var (_, refused) = await Collect(client.Custody.SignJson(SignRequest("alice-ssk", device)));
        Assert.Equal(StatusCode.FailedPrecondition, refused!.StatusCode);
        Assert.Contains("key 'alice-ssk' is not trusted to sign: it is not attested (", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("and no admin has accepted it (keycustody keys accept)", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("key_not_trusted", ReadAudit(d).Last().GetString("decision"));

        // The acceptance names the public key it is about and a reason.
        using var other = Ed25519SoftwareKey.Generate();
        var wrongKey = Cli(d, "keys", "accept", "alice-ssk", "--public-key", other.PublicKey.Base64, "--reason", "HSM procurement record 17");
        Assert.True(wrongKey.Exit == 3, wrongKey.Output);
        Assert.Contains($"has the public key {publicKey}, not {other.PublicKey.Base64}; nothing was changed", wrongKey.Output, StringComparison.Ordinal);
        Assert.Equal(2, Cli(d, "keys", "accept", "alice-ssk", "--public-key", publicKey).Exit);
        var accepted = Cli(d, "keys", "accept", "alice-ssk", "--public-key", publicKey, "--reason", "HSM procurement record 17");
        Assert.True(accepted.Exit == 0, accepted.Output);
        Assert.Contains("provenance=generated,none,accepted\ttrusted", accepted.Output, StringComparison.Ordinal);

        var (events, error) = await Collect(client.Custody.SignJson(SignRequest("alice-ssk", device)));
        Assert.Null(error);
        Assert.Equal(SignEvent.EventOneofCase.Signed, events[^1].EventCase);
        var audit = ReadAudit(d);
        Assert.Contains(audit, r => r.GetString("kind") == "decision" && r.GetString("decision") == "key_not_trusted" && r.GetString("operation") == "accept_key");
        var intent = audit.Single(r => r.GetString("kind") == "admin_intent" && r.GetString("operation") == "accept_key");
        Assert.StartsWith(Me + " ", intent.GetString("principal"), StringComparison.Ordinal);
        Assert.Equal((publicKey, "HSM procurement record 17"), (intent.GetString("public_key"), intent.GetString("reason")));
        Assert.Contains(audit, r => r.GetString("kind") == "key_provenance" && r.GetString("change") == "accepted" && r["trusted"] is JsonBoolean { Value: true });

        // Rejected, it signs nothing, and an acceptance cannot undo that: only a new key can.
        Assert.Equal(0, Cli(d, "keys", "reject", "alice-ssk", "--public-key", publicKey, "--reason", "lost track of the HSM").Exit);
        (_, error) = await Collect(client.Custody.SignJson(SignRequest("alice-ssk", device)));
        Assert.Contains("it was rejected by " + Me, error!.Status.Detail, StringComparison.Ordinal);
        var again = Cli(d, "keys", "accept", "alice-ssk", "--public-key", publicKey, "--reason", "found it");
        Assert.True(again.Exit == 3, again.Output);
        Assert.Contains("a key that failed its attestation or was rejected cannot be accepted", again.Output, StringComparison.Ordinal);
        var replaced = await client.Admin.GenerateKeyAsync(new GenerateKeyRequest { Token = "soft", KeyId = "ssk", Overwrite = true });
        Assert.Equal(("generated", false), (replaced.Provenance.Origin, replaced.Provenance.Trusted));
        Assert.StartsWith(Me + " ", replaced.Provenance.By, StringComparison.Ordinal);
        Assert.Null(replaced.Provenance.Rejected);
    }

    [Fact]
    public async Task A_provenance_file_others_can_read_or_one_that_cannot_be_read_is_refused_at_start()
    {
        await using var d = DaemonProcess.Create();
        d.Configure(new
        {
            tokens = new[] { Software(d, "soft") },
            keys = new[] { Key("server", "soft", "srv", "server", owner: "example.org", presence: "none", version: "1") },
            access = new[] { Rule(Me, ["*"], "sign", "admin") },
        });
        var file = Path.Combine(d.StateDirectory, "provenance.json");
        File.WriteAllText(file, "{}");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var (exit, output) = await d.RunExpectingFailureAsync();
        Assert.Equal(2, exit);
        Assert.Contains($"stateDirectory: {file} is open to other users (mode 644)", output, StringComparison.Ordinal);

        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(file, "{\"server\": {\"public_key\": \"not a key\", \"origin\": \"found\"}}");
        (exit, output) = await d.RunExpectingFailureAsync();
        Assert.Equal(2, exit);
        Assert.Contains($"error: state file {file} is not what keycustodyd wrote: invalid Ed25519 public key", output, StringComparison.Ordinal);
        Assert.Contains("restore it from a backup, or remove it", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rejected_public_key_stays_rejected_when_its_seed_is_imported_again()
    {
        await using var d = DaemonProcess.Create();
        d.Configure(new
        {
            tokens = new[] { Software(d, "soft") },
            keys = new[] { Key("alice-ssk", "soft", "ssk", "self_signing") },
            access = new[] { Rule(Me, ["*"], "sign", "admin") },
        });
        await d.StartAsync();
        using var client = d.Client();
        var seed = Google.Protobuf.ByteString.CopyFrom("rejected-seed-rejected-seed-reje"u8);
        var publicKey = (await client.Admin.ImportKeyAsync(new ImportKeyRequest { Key = "alice-ssk", Seed = seed, Overwrite = true })).PublicKey;
        await client.Admin.RejectKeyAsync(new KeyDecisionRequest { Key = "alice-ssk", PublicKey = publicKey, Reason = "the seed was on a laptop that was stolen" });

        var again = await client.Admin.ImportKeyAsync(new ImportKeyRequest { Key = "alice-ssk", Seed = seed, Overwrite = true });

        Assert.Equal(publicKey, again.PublicKey);
        Assert.Equal(("imported", false), (again.Provenance.Origin, again.Provenance.Trusted));
        Assert.Equal("the seed was on a laptop that was stolen", again.Provenance.Rejected.Reason);
        var accept = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.Admin.AcceptKeyAsync(new KeyDecisionRequest { Key = "alice-ssk", PublicKey = publicKey, Reason = "imported again" }));
        Assert.Contains("was rejected cannot be accepted", accept.Status.Detail, StringComparison.Ordinal);
        var (_, refused) = await Collect(client.Custody.SignJson(SignRequest("alice-ssk", Identities.SignedDevice(User, "TABLET", _device, null))));
        Assert.Contains("it was rejected by " + Me, refused!.Status.Detail, StringComparison.Ordinal);
    }

    private static (int Exit, string Output) Cli(DaemonProcess d, params string[] args) => ChildProcess.Run("dotnet", [Binaries.Cli, "--socket", d.Socket, .. args]);
}
