using Grpc.Core;
using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Protos.V1;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// The real daemon guards the identity it holds (issue 18 §2, §4, §5): a device named after one of the user's
/// cross-signing keys, an identifier outside the spec's grammar, the user-signing key presented as the
/// self-signing key, a master key object with members the spec does not define: each is refused before any intent,
/// audited, and the upload body GetPublicKeys hands out stays what it was.
/// </summary>
public sealed class IdentityPolicyTests : IAsyncLifetime
{
    private readonly DaemonProcess _d = DaemonProcess.Create();
    private readonly Ed25519SoftwareKey _device = Ed25519SoftwareKey.FromSeed("mallory-phone-mallory-phone-mall"u8);

    public async Task InitializeAsync()
    {
        _d.Configure(new
        {
            tokens = new[] { Simulator(_d, "yk", 21000001) },
            keys = new[]
            {
                Key("alice-master", "yk", "9c", "master"),
                Key("alice-ssk", "yk", "9a", "self_signing"),
                Key("alice-usk", "yk", "9d", "user_signing"),
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

    [Theory]
    [InlineData("alice-master", "master key")]
    [InlineData("alice-usk", "user-signing key")]
    public async Task A_device_named_after_one_of_the_users_cross_signing_keys_is_refused(string namedAfter, string what)
    {
        using var client = _d.Client();
        var deviceId = await PublicKey(client, namedAfter);
        var error = await Refused(client, SignRequest("alice-ssk", Identities.SignedDevice(User, deviceId, _device, null)));
        Assert.Contains($"device {deviceId} has the ID of {User}'s {what}", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_device_id_with_terminal_control_characters_is_refused_without_being_echoed()
    {
        using var client = _d.Client();
        const string deviceId = "PHONE\u001B[2K\r\u001B[1A\u001B[2K";
        var error = await Refused(client, SignRequest("alice-ssk", Identities.SignedDevice(User, deviceId, _device, null)));
        Assert.Contains("the device_id is not one a Matrix server or client makes: character 6 is U+001B, a control character", error.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001B', error.Status.Detail);
    }

    [Fact]
    public async Task The_user_signing_key_refuses_a_user_id_with_a_right_to_left_override()
    {
        using var client = _d.Client();
        using var bob = Ed25519SoftwareKey.Generate();
        var master = CrossSigningKey.Create("@bob:example.org", KeyUsage.Master, bob.PublicKey).Json.With("user_id", "@\u202Eevil:example.org");
        var error = await Refused(() => client.Custody.CrossSignUser(new CrossSignUserRequest { Key = "alice-usk", MasterKey = Google.Protobuf.ByteString.CopyFrom(CanonicalJson.Encode(master)) }));
        Assert.Contains("character 2 is U+202E, a format character", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_master_key_does_not_sign_the_user_signing_key_as_the_self_signing_key_and_the_identity_stays_whole()
    {
        using var client = _d.Client();
        var usk = Ed25519PublicKey.FromBase64(await PublicKey(client, "alice-usk"));
        var before = await client.GetPublicKeysAsync(User);
        Assert.Empty(before.Missing);

        var swapped = CrossSigningKey.Create(User, KeyUsage.SelfSigning, usk).Json;
        var error = await Refused(client, SignRequest("alice-master", swapped));
        Assert.Contains("the master key signs no other key for that role", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains($"which is {User}'s user-signing key", error.Status.Detail, StringComparison.Ordinal);

        var after = await client.GetPublicKeysAsync(User);
        Assert.Empty(after.Missing);
        Assert.Equal(before.DeviceSigningUpload, after.DeviceSigningUpload);
    }

    [Fact]
    public async Task The_master_key_does_not_sign_its_own_key_object_with_members_the_spec_does_not_define()
    {
        using var client = _d.Client();
        var master = Ed25519PublicKey.FromBase64(await PublicKey(client, "alice-master"));
        var padded = CrossSigningKey.Create(User, KeyUsage.Master, master).Json.With("extra", JsonObject.Of(("a", 1)));
        var error = await Refused(client, SignRequest("alice-master", padded));
        Assert.Contains("the master key signs a key object only as the spec defines it", error.Status.Detail, StringComparison.Ordinal);

        var body = CanonicalJson.ParseObject((await client.GetPublicKeysAsync(User)).DeviceSigningUpload.Span);
        Assert.Null(body.GetObject("master_key")!["extra"]);
    }

    private static async Task<string> PublicKey(KeyCustody.Client.KeyCustodyClient client, string name) =>
        (await client.Custody.ListKeysAsync(new ListKeysRequest())).Keys.Single(k => k.Name == name).PublicKey;

    /// <summary>The request is refused by the policy before any intent: no event, one audited decision, FAILED_PRECONDITION.</summary>
    private Task<RpcException> Refused(KeyCustody.Client.KeyCustodyClient client, SignJsonRequest request) =>
        Refused(() => client.Custody.SignJson(request));

    private async Task<RpcException> Refused(Func<AsyncServerStreamingCall<SignEvent>> call)
    {
        var before = ReadAudit(_d).Count;
        var (events, error) = await Collect(call());
        Assert.Empty(events);
        Assert.NotNull(error);
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        var added = ReadAudit(_d).Skip(before).ToList();
        Assert.Equal(["policy_denied"], added.Select(r => r.GetString("decision")));
        return error;
    }
}
