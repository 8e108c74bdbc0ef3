using Grpc.Core;
using KeyCustody.HwSim;
using KeyCustody.HwSim.Crypto;
using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Protos.V1;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// Issue 12 §1 through the real CLI and daemon: a key whose attestation failed in one run of
/// <c>keycustody provision</c> is not built on by a plain re-run with the right root, and the daemon itself signs
/// nothing with it, whoever asks. For the master key (the operator's root was wrong; the daemon's own check passed,
/// the operator's verdict is what the daemon keeps), and for the self-signing and user-signing keys (their card
/// chains to a root nobody trusts: the daemon's own check fails too). Replacing the key is the way out.
/// </summary>
public sealed class ProvisioningAttestationTests : IAsyncLifetime
{
    private const uint MasterCard = 42000001;
    private const uint DailyCard = 42000002;
    private const uint UskCard = 42000003;
    private readonly DaemonProcess _d = DaemonProcess.Create();
    private readonly Ed25519SoftwareKey _device = Ed25519SoftwareKey.FromSeed("franks-laptop-franks-laptop-fran"u8);
    private string _out = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _device.Dispose();
        await _d.DisposeAsync();
    }

    [Fact]
    public async Task A_master_key_that_failed_attestation_is_not_used_after_a_plain_re_run_with_the_right_root()
    {
        await StartAsync(foreignCard: null);
        var right = RootPem(Path.Combine(_d.StateDirectory, "simulator-root.json"), Path.Combine(_d.Root, "right.pem"));
        var wrong = RootPem(Path.Combine(_d.Root, "wrong-root.json"), Path.Combine(_d.Root, "wrong.pem"));

        var first = Cli("provision", "--user", User, "--attestation-root", wrong, "--out", _out);
        Assert.True(first.Exit == 3, first.Output);
        Assert.Contains("provisioning stopped: the master key 'alice-master' on token yk-master: the attestation does not chain to a trusted root", first.Output, StringComparison.Ordinal);

        // The same command with the right root and no --rotate: refused, naming the key; nothing generated or signed.
        var second = Cli("provision", "--user", User, "--attestation-root", right, "--out", _out);
        Assert.True(second.Exit == 3, second.Output);
        Assert.Contains("the existing master key 'alice-master' on token yk-master cannot be built on: it was rejected", second.Output, StringComparison.Ordinal);
        Assert.Contains("--rotate master --confirm-new-identity", second.Output, StringComparison.Ordinal);
        await AssertNothingBuiltAsync();

        // Nor does the daemon let anyone else sign with it.
        using (var client = _d.Client())
        {
            using var backupKey = Ed25519SoftwareKey.Generate();
            var (events, error) = await Collect(client.Custody.SignJson(SignRequest("alice-master", JsonObject.Of(("public_key", backupKey.PublicKey.Base64)))));
            Assert.Empty(events);
            Assert.Equal(StatusCode.FailedPrecondition, error!.StatusCode);
            Assert.Contains("key 'alice-master' is not trusted to sign: it was rejected", error.Status.Detail, StringComparison.Ordinal);
        }

        // Replacing the master key is the way out: a new identity, attested, signed.
        var replaced = Cli("provision", "--user", User, "--attestation-root", right, "--out", _out, "--rotate", "master", "--confirm-new-identity");
        Assert.True(replaced.Exit == 0, replaced.Output);
        Assert.True(File.Exists(Path.Combine(_out, "device-signing-upload.json")));
    }

    [Theory]
    [InlineData("ssk")]
    [InlineData("usk")]
    public async Task A_self_signing_or_user_signing_key_from_an_untrusted_card_is_refused_by_the_re_run_and_by_the_daemon(string which)
    {
        await StartAsync(foreignCard: which);
        var right = RootPem(Path.Combine(_d.StateDirectory, "simulator-root.json"), Path.Combine(_d.Root, "right.pem"));
        var name = which == "ssk" ? "alice-ssk" : "alice-usk";

        var first = Cli("provision", "--user", User, "--attestation-root", right, "--out", _out);
        Assert.True(first.Exit == 3, first.Output);
        Assert.Contains($"provisioning stopped: the {which} key '{name}'", first.Output, StringComparison.Ordinal);
        Assert.Contains("the attestation does not chain to a trusted root", first.Output, StringComparison.Ordinal);

        var second = Cli("provision", "--user", User, "--attestation-root", right, "--out", _out);
        Assert.True(second.Exit == 3, second.Output);
        Assert.Contains($"the existing {which} key '{name}' on token yk-{which} cannot be built on", second.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_out, "device-signing-upload.json")));
        Assert.DoesNotContain(ReadAudit(_d), r => r.GetString("kind") == "outcome" && r.GetString("outcome") == "signed");

        // Asked directly, the daemon refuses the key for its role.
        using var client = _d.Client();
        var (events, error) = await Collect(which == "ssk"
            ? client.Custody.CrossSignDevice(new CrossSignDeviceRequest { Key = name, DeviceKeys = Google.Protobuf.ByteString.CopyFrom(CanonicalJson.Encode(Identities.SignedDevice(User, "LAPTOP", _device, null))) })
            : client.Custody.CrossSignUser(new CrossSignUserRequest { Key = name, MasterKey = Google.Protobuf.ByteString.CopyFrom(CanonicalJson.Encode(CrossSigningKey.Create(Other, KeyUsage.Master, _device.PublicKey).Json)) }));
        Assert.Empty(events);
        Assert.Equal(StatusCode.FailedPrecondition, error!.StatusCode);
        Assert.Contains($"key '{name}' is not trusted to sign", error.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(ReadAudit(_d), r => r.GetString("kind") == "intent");
    }

    [Fact]
    public async Task Without_an_operator_root_allow_unattested_leaves_the_check_to_the_daemon_and_rejects_no_key_for_want_of_a_root()
    {
        // The user-signing key's card chains to a root nobody trusts; the other two to the daemon's simulator root.
        await StartAsync(foreignCard: "usk");
        var run = Cli("provision", "--user", User, "--allow-unattested", "--out", _out);
        Assert.True(run.Exit == 3, run.Output);
        Assert.True(run.Output.Contains("provisioning stopped: the usk key 'alice-usk' on token yk-usk: the daemon does not trust it: its attestation does not verify", StringComparison.Ordinal), run.Output);
        Assert.Contains("replace it (--rotate usk) once the cause is found", run.Output, StringComparison.Ordinal);
        Assert.Contains("attested by the daemon only (no --attestation-root): master key 'alice-master' made on card 42000001", run.Output, StringComparison.Ordinal);

        using var client = _d.Client();
        var keys = (await client.GetPublicKeysAsync(User)).Keys.ToDictionary(k => k.Name);
        foreach (var name in new[] { "alice-master", "alice-ssk" })
        {
            Assert.Equal(("attested", true), (keys[name].Provenance.Attestation, keys[name].Provenance.Trusted));
            Assert.Null(keys[name].Provenance.Rejected);
            Assert.Null(keys[name].Provenance.Accepted);
        }

        Assert.Equal(("failed", false), (keys["alice-usk"].Provenance.Attestation, keys["alice-usk"].Provenance.Trusted));
        Assert.False(File.Exists(Path.Combine(_out, "device-signing-upload.json")));
    }

    /// <summary>Nothing was generated after the refusal and nothing was signed: no intent in the audit log, no upload body.</summary>
    private async Task AssertNothingBuiltAsync()
    {
        Assert.False(File.Exists(Path.Combine(_out, "device-signing-upload.json")));
        Assert.DoesNotContain(ReadAudit(_d), r => r.GetString("kind") == "intent");
        using var client = _d.Client();
        var keys = (await client.GetPublicKeysAsync(User)).Keys;
        Assert.Equal(string.Empty, keys.Single(k => k.Name == "alice-ssk").PublicKey);
        Assert.Equal(string.Empty, keys.Single(k => k.Name == "alice-usk").PublicKey);
    }

    /// <summary>
    /// Three blank simulated cards (master alone; then the self-signing and the user-signing key each on its own), the
    /// one named by <paramref name="foreignCard"/> made beforehand by a root the daemon and the operator do not trust.
    /// </summary>
    private async Task StartAsync(string? foreignCard)
    {
        _out = Path.Combine(_d.Root, "provisioned");
        object Card(string name, uint serial, string which)
        {
            string? state = null;
            if (which == foreignCard)
            {
                state = Path.Combine(_d.Root, name + ".card.json");
                using var foreign = SimulatorRoot.CreateEphemeral();
                using var card = VirtualCard.Create(new CardOptions(foreign) { Serial = serial, StatePath = state });
            }

            var pin = SecretFile(_d, name + ".pin", "123456");
            var mgm = SecretFile(_d, name + ".mgm", "010203040506070801020304050607080102030405060708");
            return new { name, kind = "simulator", serial, touch = "auto", touchDelayMs = 20, demoKeys = false, stateFile = state, pin = new { file = pin }, managementKey = new { file = mgm } };
        }

        _d.Configure(new
        {
            tokens = new[] { Card("yk-master", MasterCard, "master"), Card("yk-ssk", DailyCard, "ssk"), Card("yk-usk", UskCard, "usk") },
            keys = new[]
            {
                Key("alice-master", "yk-master", "9c", "master"),
                Key("alice-ssk", "yk-ssk", "9a", "self_signing"),
                Key("alice-usk", "yk-usk", "9d", "user_signing"),
            },
            access = new[] { Rule(Me, ["*"], "sign", "approve", "admin") },
        });
        await _d.StartAsync();
    }

    private (int Exit, string Output) Cli(params string[] args) => ChildProcess.Run("dotnet", [Binaries.Cli, "--socket", _d.Socket, .. args]);
}
