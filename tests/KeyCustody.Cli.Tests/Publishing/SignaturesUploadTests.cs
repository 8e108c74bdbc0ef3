using KeyCustody.Cli.Publishing;
using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Tests.Shared;
using Xunit;

namespace KeyCustody.Cli.Tests.Publishing;

/// <summary>
/// The /keys/signatures/upload step of <c>cross-sign --upload</c>, in process against the test homeserver:
/// each signed object accepted or refused with the homeserver's reason, Synapse's and the spec's error shapes.
/// </summary>
public sealed class SignaturesUploadTests : IDisposable
{
    private const string Alice = "@alice:example.org";
    private const string Bob = "@bob:example.org";
    private const string Token = "syt_alice_signatures_token";

    private readonly TestHomeserver _hs = new();
    private readonly TestFiles _files = new();
    private readonly SoftwareIdentity _alice = new(Alice);
    private readonly SoftwareIdentity _bob = new(Bob);
    private readonly Ed25519SoftwareKey _phone = Ed25519SoftwareKey.Generate();
    private readonly JsonObject _device;

    public SignaturesUploadTests()
    {
        _hs.AddUser(Alice, Token, "unused");
        _alice.StoreOn(_hs);
        _bob.StoreOn(_hs);
        _device = Identities.SignedDevice(Alice, "PHONE", _phone, null);
        _hs.AddDevice(_device);
    }

    public void Dispose()
    {
        _hs.Dispose();
        _files.Dispose();
        _alice.Dispose();
        _bob.Dispose();
        _phone.Dispose();
    }

    private JsonObject DeviceSignedBySsk(JsonObject? device = null) => SignedJson.Sign(device ?? _device, Alice, _alice.SelfSigning.PublicKey.Base64, _alice.SelfSigning);

    private JsonObject BobSignedByUsk() => SignedJson.Sign(_bob.MasterJson, Alice, _alice.UserSigning.PublicKey.Base64, _alice.UserSigning);

    private async Task<(int Exit, string Out, string Err)> Upload(JsonObject body, bool json = false, string token = Token)
    {
        using var hs = Homeserver.Open(_hs.Url, _files.Secret("token-" + Guid.NewGuid().ToString("N"), token), 30);
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await SignaturesPublisher.UploadAsync(hs, CanonicalJson.Encode(body), json, output, error, CancellationToken.None);
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>The object with <c>signatures[signer][keyId]</c> replaced by a well-formed signature over something else.</summary>
    private static JsonObject WithForeignSignature(JsonObject signed, string signer, string keyId, Ed25519SoftwareKey key)
    {
        var other = SignedJson.Sign(JsonObject.Of(("something", "else")), signer, keyId["ed25519:".Length..], key);
        var sig = other.GetObject("signatures")!.GetObject(signer)![keyId]!;
        var signatures = signed.GetObject("signatures")!;
        return signed.With("signatures", signatures.With(signer, signatures.GetObject(signer)!.With(keyId, sig)));
    }

    [Fact]
    public async Task An_own_device_another_users_master_key_and_the_own_master_key_are_accepted()
    {
        var masterSignedByPhone = SignedJson.Sign(_alice.MasterJson, Alice, "PHONE", _phone);
        var body = new SignaturesUpload(Alice)
            .AddOwnDevice(DeviceSignedBySsk(), _alice.SelfSigning.PublicKey)
            .AddOtherUserMasterKey(BobSignedByUsk(), _alice.UserSigning.PublicKey)
            .AddOwnMasterKey(masterSignedByPhone, "PHONE", _phone.PublicKey)
            .Build();

        var (exit, output, error) = await Upload(body);

        Assert.True(exit == 0, error);
        // One line per object, in the body's (canonical) order: user, then key identifier, by code point.
        var own = new[] { _alice.Master.PublicKey.Base64, "PHONE" }.Order(StringComparer.Ordinal).Select(k => $"{Alice} {k}: accepted\n");
        Assert.Equal(string.Concat(own) + $"{Bob} {_bob.Master.PublicKey.Base64}: accepted\n", output);
        Assert.Empty(error);
        Assert.True(DeviceKeys.Parse(_hs.Device(Alice, "PHONE")!).VerifySignedBy(_alice.SelfSigning.PublicKey).IsValid);
        Assert.True(SignedJson.Verify(_hs.CrossSigningKey(Bob, "master")!, Alice, _alice.UserSigning.PublicKey.KeyId, _alice.UserSigning.PublicKey).IsValid);
        Assert.True(SignedJson.Verify(_hs.CrossSigningKey(Alice, "master")!, Alice, "ed25519:PHONE", _phone.PublicKey).IsValid);

        var request = _hs.RequestsTo("keys/signatures/upload").Single();
        Assert.Equal("Bearer " + Token, request.Authorization);
        Assert.Equal(string.Empty, request.Query);
    }

    [Fact]
    public async Task A_bad_signature_is_reported_for_its_key_with_Synapses_message_and_the_rest_is_accepted()
    {
        var bad = WithForeignSignature(DeviceSignedBySsk(), Alice, _alice.SelfSigning.PublicKey.KeyId, _alice.SelfSigning);
        var body = JsonObject.Of(
            (Alice, JsonObject.Of(("PHONE", bad))),
            (Bob, JsonObject.Of((_bob.Master.PublicKey.Base64, BobSignedByUsk()))));

        var (exit, output, error) = await Upload(body);

        Assert.Equal(1, exit);
        Assert.Equal(
            $"{Alice} PHONE: refused: 400 M_INVALID_SIGNATURE: 400: Invalid signature\n{Bob} {_bob.Master.PublicKey.Base64}: accepted\n",
            output);
        Assert.Equal("error: the homeserver refused 1 of 2 signed objects\n", error);
        Assert.False(_hs.Device(Alice, "PHONE")!.GetObject("signatures")!.GetObject(Alice)!.ContainsKey(_alice.SelfSigning.PublicKey.KeyId));
    }

    [Fact]
    public async Task The_specs_error_field_is_read_too()
    {
        _hs.SpecStyleFailures = true;
        var bad = WithForeignSignature(BobSignedByUsk(), Alice, _alice.UserSigning.PublicKey.KeyId, _alice.UserSigning);
        var (exit, output, _) = await Upload(JsonObject.Of((Bob, JsonObject.Of((_bob.Master.PublicKey.Base64, bad)))), json: true);

        Assert.Equal(1, exit);
        var report = CanonicalJson.ParseObject(System.Text.Encoding.UTF8.GetBytes(output));
        Assert.Equal(JsonBoolean.False, report["ok"]);
        Assert.Equal(
            new JsonArray(JsonObject.Of(("user_id", Bob), ("key", _bob.Master.PublicKey.Base64), ("accepted", false), ("errcode", "M_INVALID_SIGNATURE"), ("error", "Invalid signature"))),
            report["results"]);
    }

    [Fact]
    public async Task A_device_that_differs_from_the_stored_one_is_refused_as_not_matching()
    {
        var changed = DeviceSignedBySsk(_device.With("algorithms", new JsonArray("m.megolm.v1.aes-sha2")));
        var (exit, output, _) = await Upload(JsonObject.Of((Alice, JsonObject.Of(("PHONE", changed)))), json: true);

        Assert.Equal(1, exit);
        var result = (JsonObject)((JsonArray)CanonicalJson.ParseObject(System.Text.Encoding.UTF8.GetBytes(output))["results"]!)[0];
        Assert.Equal(
            JsonObject.Of(("user_id", Alice), ("key", "PHONE"), ("accepted", false), ("status", 400), ("errcode", "M_UNKNOWN"), ("error", "400: Key does not match")),
            result);
    }

    [Fact]
    public async Task An_unknown_device_is_refused_with_not_found()
    {
        using var tablet = Ed25519SoftwareKey.Generate();
        var unknown = SignedJson.Sign(Identities.SignedDevice(Alice, "TABLET", tablet, null), Alice, _alice.SelfSigning.PublicKey.Base64, _alice.SelfSigning);
        var (exit, output, _) = await Upload(JsonObject.Of((Alice, JsonObject.Of(("TABLET", unknown)))));
        Assert.Equal(1, exit);
        Assert.Equal($"{Alice} TABLET: refused: 404 M_NOT_FOUND: 404: Unknown device\n", output);
    }

    [Fact]
    public async Task A_refused_access_token_fails_the_whole_upload_with_one_error_line()
    {
        var (exit, output, error) = await Upload(JsonObject.Of((Alice, JsonObject.Of(("PHONE", DeviceSignedBySsk())))), token: "syt_wrong");
        Assert.Equal(1, exit);
        Assert.Empty(output);
        Assert.Equal("error: the homeserver refused the signature upload: 401 M_UNKNOWN_TOKEN: Invalid access token passed.\n", error);
    }
}
