using Grpc.Core;
using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Protos.V1;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests;

/// <summary>The real daemon with an in-process simulated YubiKey (touch automatic): signing, events, policy, bad input, rights.</summary>
public sealed class SimulatorSigningTests : IAsyncLifetime
{
    private readonly DaemonProcess _d = DaemonProcess.Create();
    private readonly Ed25519SoftwareKey _device = Ed25519SoftwareKey.FromSeed("alice-phone-alice-phone-alice-ph"u8);

    public async Task InitializeAsync()
    {
        _d.Configure(new
        {
            tokens = new[] { Simulator(_d, "yk", 20000001), Software(_d, "soft") },
            keys = new[]
            {
                Key("alice-master", "yk", "9c", "master"),
                Key("alice-ssk", "yk", "9a", "self_signing"),
                Key("alice-usk", "yk", "9d", "user_signing"),
                Key("server", "soft", "srv", "server", owner: "example.org", presence: "none", version: "1"),
                Key("forbidden", "soft", "nope", "server", owner: "example.org", presence: "none", version: "2"),
            },
            access = new[]
            {
                Rule(Me, ["alice-*", "server"], "sign", "approve"),
                Rule(Me, ["*"], "admin"),
                Rule("uid:54321", ["forbidden"], "sign"),
            },
        });
        await _d.StartAsync();
        using var client = _d.Client();
        await Generate(client, "soft", "srv");
        await Generate(client, "soft", "nope");
    }

    public async Task DisposeAsync()
    {
        _device.Dispose();
        await _d.DisposeAsync();
    }

    private JsonObject Device(string userId = User, string deviceId = "PHONE") =>
        Identities.SignedDevice(userId, deviceId, _device, null);

    [Fact]
    public async Task Self_signing_a_device_verifies_with_python_signedjson_and_events_come_in_order()
    {
        using var client = _d.Client();
        var ssk = (await client.Custody.ListKeysAsync(new ListKeysRequest())).Keys.Single(k => k.Name == "alice-ssk");
        var (events, error) = await Collect(client.Custody.SignJson(SignRequest("alice-ssk", Device())));
        Assert.Null(error);
        Assert.Equal(
            [SignEvent.EventOneofCase.Accepted, SignEvent.EventOneofCase.PresenceRequired, SignEvent.EventOneofCase.Signed],
            events.Select(e => e.EventCase));
        Assert.Equal("sign device PHONE of @alice:example.org with the self-signing key", events[0].Accepted.Intent);
        Assert.Equal(PresenceRequired.Types.Method.Touch, events[1].PresenceRequired.Method);
        Assert.Equal("20000001", events[1].PresenceRequired.TokenSerial);
        Assert.Equal(events[0].Accepted.Intent, events[1].PresenceRequired.Intent);

        var signed = events[2].Signed.SignedJson[0].ToByteArray();
        Assert.Equal(["valid"], PythonOracle.Verify([signed], ssk.PublicKey, User, ssk.PublicKey));
        Assert.Equal("ed25519:" + ssk.PublicKey, events[2].Signed.KeyId);

        // The device's own signature is still there, and the audit log has intent then outcome.
        var obj = CanonicalJson.ParseObject(signed);
        Assert.True(DeviceKeys.Parse(obj).VerifySelfSignature().IsValid);
        var records = ReadAudit(_d).For(events[0].Accepted.RequestId);
        Assert.Equal(["intent", "outcome"], records.Select(r => r.GetString("kind")));
        Assert.Equal("signed", records[1].GetString("outcome"));
        Assert.Equal(1L, ((JsonInteger)records[1]["touches"]!).Value);
    }

    [Fact]
    public async Task The_master_key_signed_the_cross_signing_keys_at_first_start_and_the_upload_body_is_ready()
    {
        using var client = _d.Client();
        var response = await client.GetPublicKeysAsync(User);
        Assert.Empty(response.Missing);
        var body = CanonicalJson.ParseObject(response.DeviceSigningUpload.Span);
        var master = CrossSigningKey.Parse(body["master_key"]!, KeyUsage.Master);
        var ssk = CrossSigningKey.Parse(body["self_signing_key"]!, KeyUsage.SelfSigning);
        var usk = CrossSigningKey.Parse(body["user_signing_key"]!, KeyUsage.UserSigning);
        Assert.True(ssk.VerifySignedBy(User, master.PublicKey).IsValid);
        Assert.True(usk.VerifySignedBy(User, master.PublicKey).IsValid);
        Assert.Equal(response.Keys.Single(k => k.Role == "master").PublicKey, master.PublicKey.Base64);
    }

    public static TheoryData<string, string, string> Refusals() => new()
    {
        // key, payload, part of the reason
        { "alice-usk", "own device", "signs only other users' master keys" },
        { "alice-usk", "own master", "not @alice:example.org's own" },
        { "alice-ssk", "other user's device", "does not sign devices of @bob:example.org" },
        { "alice-ssk", "device without self-signature", "does not carry its own valid self-signature" },
        { "alice-ssk", "bob master", "signs only @alice:example.org's device keys" },
        { "alice-master", "own device", "signs only @alice:example.org's self-signing and user-signing keys" },
        { "alice-master", "bob's ssk", "does not sign keys of @bob:example.org" },
        { "alice-master", "event", "signs only @alice:example.org's self-signing and user-signing keys" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Every_role_refuses_what_it_must_not_sign_before_the_token_is_asked(string key, string payload, string reason)
    {
        using var other = Ed25519SoftwareKey.Generate();
        var json = payload switch
        {
            "own device" => Device(),
            "own master" => CrossSigningKey.Create(User, KeyUsage.Master, other.PublicKey).Json,
            "other user's device" => Device(Other),
            "device without self-signature" => Device().Without("signatures"),
            "bob master" => CrossSigningKey.Create(Other, KeyUsage.Master, other.PublicKey).Json,
            "bob's ssk" => CrossSigningKey.Create(Other, KeyUsage.SelfSigning, other.PublicKey).Json,
            _ => JsonObject.Of(("type", "m.room.message"), ("content", JsonObject.Of(("body", "hi")))),
        };
        using var client = _d.Client();
        var before = ReadAudit(_d).Count;
        var (events, error) = await Collect(client.Custody.SignJson(SignRequest(key, json)));
        Assert.Empty(events);
        Assert.NotNull(error);
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains(reason, error.Status.Detail, StringComparison.Ordinal);

        // Audited as a policy decision, with no intent: the token was never asked.
        var added = ReadAudit(_d).Skip(before).ToList();
        Assert.Single(added);
        Assert.Equal("decision", added[0].GetString("kind"));
        Assert.Equal("policy_denied", added[0].GetString("decision"));
        Assert.Equal(key, added[0].GetString("key"));
    }

    [Fact]
    public async Task An_object_whose_signatures_cannot_take_the_signature_is_refused_and_audited()
    {
        // The policy allows the master key to sign its user's self-signing key; this object's signatures member is
        // {"@alice:example.org": "x"}, where the signature cannot go: refused before any intent, and audited.
        using var client = _d.Client();
        var ssk = (await client.Custody.ListKeysAsync(new ListKeysRequest())).Keys.Single(k => k.Name == "alice-ssk");
        var json = CrossSigningKey.Create(User, KeyUsage.SelfSigning, Ed25519PublicKey.FromBase64(ssk.PublicKey)).Json
            .With("signatures", JsonObject.Of((User, "x")));
        var before = ReadAudit(_d).Count;
        var (events, error) = await Collect(client.Custody.SignJson(SignRequest("alice-master", json)));
        Assert.Empty(events);
        Assert.Equal(StatusCode.InvalidArgument, error!.StatusCode);
        Assert.Contains("nothing was signed", error.Status.Detail, StringComparison.Ordinal);
        var added = Assert.Single(ReadAudit(_d).Skip(before));
        Assert.Equal(("decision", "invalid_argument", "alice-master"), (added.GetString("kind"), added.GetString("decision"), added.GetString("key")));
        Assert.NotNull(added.GetString("reason"));
    }

    [Theory]
    [InlineData("{\"a\": 1.5}", "floating-point numbers are not allowed")]
    [InlineData("{\"a\": 1, \"a\": 2}", "duplicate key")]
    [InlineData("{\"a\": \"\\ud800\"}", "unpaired high surrogate")]
    [InlineData("[1]", "expected a JSON object")]
    [InlineData("{\"a\": 1e3}", "exponents")]
    [InlineData("{\"a\": 9007199254740992}", "outside the canonical range")]
    [InlineData("", "empty input")]
    public async Task Malformed_or_non_canonical_json_is_invalid_argument(string json, string reason)
    {
        using var client = _d.Client();
        var (events, error) = await Collect(client.Custody.SignJson(SignRequest("alice-ssk", System.Text.Encoding.UTF8.GetBytes(json))));
        Assert.Empty(events);
        Assert.Equal(StatusCode.InvalidArgument, error!.StatusCode);
        Assert.Contains(reason, error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("nothing was signed", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_utf8_too_deep_and_too_large_are_invalid_argument()
    {
        using var client = _d.Client();
        byte[][] inputs =
        [
            [.. "{\"a\": \""u8, 0xed, 0xa0, 0xbd, .. "\"}"u8],
            System.Text.Encoding.ASCII.GetBytes("{\"a\":" + new string('[', 100) + new string(']', 100) + "}"),
            System.Text.Encoding.ASCII.GetBytes("{\"a\": \"" + new string('x', 70_000) + "\"}"),
        ];
        string[] reasons = ["invalid UTF-8", "nesting deeper than the limit of 64", "larger than the limit of 65536 bytes"];
        for (var i = 0; i < inputs.Length; i++)
        {
            var (_, error) = await Collect(client.Custody.SignJson(new SignJsonRequest { Key = "alice-ssk", Json = Google.Protobuf.ByteString.CopyFrom(inputs[i]) }));
            Assert.Equal(StatusCode.InvalidArgument, error!.StatusCode);
            Assert.Contains(reasons[i], error.Status.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_principal_without_rights_is_denied_and_audited()
    {
        using var client = _d.Client();
        var (_, error) = await Collect(client.Custody.SignJson(SignRequest("forbidden", JsonObject.Of(("a", 1L)))));
        Assert.Equal(StatusCode.PermissionDenied, error!.StatusCode);
        Assert.Contains("may not sign with key 'forbidden'", error.Status.Detail, StringComparison.Ordinal);
        var denied = ReadAudit(_d).Last(r => r.GetString("key") == "forbidden");
        Assert.Equal("permission_denied", denied.GetString("decision"));
        Assert.Equal(Me + " gid:" + denied.GetString("principal")!.Split("gid:")[1], denied.GetString("principal"));

        // The caller sees the key (it administers the daemon) but without the sign right.
        var keys = await client.Custody.ListKeysAsync(new ListKeysRequest());
        Assert.Equal(["admin"], keys.Keys.Single(k => k.Name == "forbidden").Operations);
    }

    [Fact]
    public async Task Server_keys_sign_any_object_without_presence_and_verify_with_python()
    {
        using var client = _d.Client();
        var server = (await client.Custody.ListKeysAsync(new ListKeysRequest())).Keys.Single(k => k.Name == "server");
        var (events, error) = await Collect(client.Custody.SignJson(SignRequest("server", JsonObject.Of(("one", 1L), ("two", "Two")))));
        Assert.Null(error);
        Assert.Equal([SignEvent.EventOneofCase.Accepted, SignEvent.EventOneofCase.Signed], events.Select(e => e.EventCase));
        Assert.Equal("ed25519:1", events[1].Signed.KeyId);
        Assert.Equal(["valid"], PythonOracle.Verify([events[1].Signed.SignedJson[0].ToByteArray()], server.PublicKey, "example.org", "1"));
    }

    [Fact]
    public async Task Cross_sign_device_returns_the_signatures_upload_body()
    {
        using var client = _d.Client();
        var ssk = (await client.Custody.ListKeysAsync(new ListKeysRequest())).Keys.Single(k => k.Name == "alice-ssk");
        var call = client.Custody.CrossSignDevice(new CrossSignDeviceRequest { Key = "alice-ssk", DeviceKeys = Google.Protobuf.ByteString.CopyFrom(CanonicalJson.Encode(Device())) });
        var signed = await KeyCustody.Client.KeyCustodyClient.FollowAsync(call, null);
        var body = CanonicalJson.ParseObject(signed.SignaturesUpload.Span);
        var device = body.GetObject(User)!.GetObject("PHONE")!;
        Assert.True(DeviceKeys.Parse(device).VerifySignedBy(Ed25519PublicKey.FromBase64(ssk.PublicKey)).IsValid);

        // The user-signing key is the wrong key for cross-signing a device.
        var wrong = client.Custody.CrossSignDevice(new CrossSignDeviceRequest { Key = "alice-usk", DeviceKeys = Google.Protobuf.ByteString.CopyFrom(CanonicalJson.Encode(Device())) });
        var (_, error) = await Collect(wrong);
        Assert.Equal(StatusCode.InvalidArgument, error!.StatusCode);
    }

    [Fact]
    public void The_cli_prints_keys_and_token_status_as_json_for_scripts()
    {
        foreach (var (command, field) in new[] { ("keys", "name"), ("status", "serial") })
        {
            var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in command == "keys" ? new[] { Binaries.Cli, "--socket", _d.Socket, "--json", "keys", "list" } : [Binaries.Cli, "--socket", _d.Socket, "status", "--json"])
            {
                start.ArgumentList.Add(a);
            }

            using var p = System.Diagnostics.Process.Start(start)!;
            var output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            Assert.Equal(0, p.ExitCode);
            var items = (JsonArray)CanonicalJson.Parse(System.Text.Encoding.UTF8.GetBytes(output.TrimEnd('\n')));
            Assert.NotEmpty(items);
            Assert.All(items, i => Assert.NotNull(((JsonObject)i).GetString(field)));
        }
    }

    [Fact]
    public async Task Verify_json_answers_like_the_library()
    {
        using var client = _d.Client();
        var ssk = (await client.Custody.ListKeysAsync(new ListKeysRequest())).Keys.Single(k => k.Name == "alice-ssk");
        var signed = await KeyCustody.Client.KeyCustodyClient.FollowAsync(client.Custody.SignJson(SignRequest("alice-ssk", Device())), null);
        var request = new VerifyJsonRequest { Json = signed.SignedJson[0], Entity = User, KeyId = "ed25519:" + ssk.PublicKey, Key = "alice-ssk" };
        Assert.True((await client.Custody.VerifyJsonAsync(request)).Valid);
        var tampered = CanonicalJson.ParseObject(signed.SignedJson[0].Span).With("device_id", "OTHER");
        request.Json = Google.Protobuf.ByteString.CopyFrom(CanonicalJson.Encode(tampered));
        var answer = await client.Custody.VerifyJsonAsync(request);
        Assert.False(answer.Valid);
        Assert.Equal("invalid", answer.Status);
    }
}
