using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Tests.Shared.Identities;

namespace KeyCustody.HomeserverSim.Tests;

/// <summary>
/// /keys/query as Synapse answers it: signatures uploaded on cross-signing keys are shown only to the user who made
/// them (Alice's user-signing signature on Bob, her phone's signature on her own master key); only the requester's own
/// user-signing key; a device's cross-signatures to everyone.
/// </summary>
public sealed class KeysQueryVisibilityTests : IAsyncLifetime
{
    private readonly HomeserverSimulator _sim = new();
    private readonly Identities _ids = new();
    private readonly Ed25519SoftwareKey _phone = Ed25519SoftwareKey.FromSeed("alice-phone-alice-phone-alice-ph"u8);
    private SimClient _alice = null!;
    private SimClient _bob = null!;

    public async Task InitializeAsync()
    {
        var (aliceToken, _) = _sim.Register(Alice, "pw", "PHONE");
        var (bobToken, _) = _sim.Register(Bob, "pw", BobDevice);
        _alice = new SimClient(_sim.Url, aliceToken);
        _bob = new SimClient(_sim.Url, bobToken);

        // Alice's phone uploads its keys, then her identity (first upload: no UIA); Bob likewise.
        Assert.Equal(200, (await _alice.PostAsync("keys/upload", JsonObject.Of(("device_keys", SignedDevice(Alice, "PHONE", _phone, null))))).Status);
        Assert.Equal(200, (await _alice.PostAsync("keys/device_signing/upload", JsonObject.Of(
            ("master_key", TestData.Object("alice_master")),
            ("self_signing_key", TestData.Object("alice_self_signing")),
            ("user_signing_key", TestData.Object("alice_user_signing"))))).Status);
        Assert.Equal(200, (await _bob.PostAsync("keys/upload", JsonObject.Of(("device_keys", SignedDevice(Bob, BobDevice, _ids.BobDeviceKey, null))))).Status);
        Assert.Equal(200, (await _bob.PostAsync("keys/device_signing/upload", JsonObject.Of(
            ("master_key", CrossSigningKey.Create(Bob, KeyUsage.Master, _ids.BobMsk.PublicKey).Json),
            ("self_signing_key", _ids.BobSskJson)))).Status);

        // Alice cross-signs her phone and Bob, and her phone signs her master key.
        var phone = SignedDevice(Alice, "PHONE", _phone, _ids.AliceSsk);
        var bobMaster = SignedJson.Sign(CrossSigningKey.Create(Bob, KeyUsage.Master, _ids.BobMsk.PublicKey).Json, Alice, _ids.AliceUsk.PublicKey.Base64, _ids.AliceUsk);
        var aliceMaster = SignedJson.Sign(TestData.Object("alice_master"), Alice, "PHONE", _phone);
        var (status, answer) = await _alice.PostAsync("keys/signatures/upload", JsonObject.Of(
            (Alice, JsonObject.Of(("PHONE", phone), (_ids.AliceMsk.PublicKey.Base64, aliceMaster))),
            (Bob, JsonObject.Of((_ids.BobMsk.PublicKey.Base64, bobMaster)))));
        Assert.Equal(200, status);
        Assert.Equal(JsonObject.Of(("failures", JsonObject.Empty)), answer);
    }

    public Task DisposeAsync()
    {
        _alice.Dispose();
        _bob.Dispose();
        _phone.Dispose();
        _ids.Dispose();
        _sim.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Alice_sees_her_own_signatures_on_cross_signing_keys_and_her_user_signing_key()
    {
        var query = await _alice.QueryAsync(Alice, Bob);
        var bobMaster = query.GetObject("master_keys")!.GetObject(Bob)!;
        Assert.True(SignedJson.Verify(bobMaster, Alice, _ids.AliceUsk.PublicKey.KeyId, _ids.AliceUsk.PublicKey).IsValid);
        var aliceMaster = query.GetObject("master_keys")!.GetObject(Alice)!;
        Assert.True(SignedJson.Verify(aliceMaster, Alice, "ed25519:PHONE", _phone.PublicKey).IsValid);
        Assert.Equal([Alice], query.GetObject("user_signing_keys")!.PropertyNames);
        Assert.Equal(TestData.Object("alice_user_signing"), query.GetObject("user_signing_keys")!.GetObject(Alice));
        Assert.True(DeviceKeys.Parse(query.GetObject("device_keys")!.GetObject(Alice)!.GetObject("PHONE")!).VerifySignedBy(_ids.AliceSsk.PublicKey).IsValid);
    }

    [Fact]
    public async Task Bob_sees_neither_alices_signatures_on_cross_signing_keys_nor_her_user_signing_key()
    {
        var query = await _bob.QueryAsync(Alice, Bob);
        Assert.Equal(CrossSigningKey.Create(Bob, KeyUsage.Master, _ids.BobMsk.PublicKey).Json, query.GetObject("master_keys")!.GetObject(Bob));
        Assert.Equal(TestData.Object("alice_master"), query.GetObject("master_keys")!.GetObject(Alice));
        Assert.Empty(query.GetObject("user_signing_keys")!);

        // A device's cross-signatures are everyone's to check.
        Assert.True(DeviceKeys.Parse(query.GetObject("device_keys")!.GetObject(Alice)!.GetObject("PHONE")!).VerifySignedBy(_ids.AliceSsk.PublicKey).IsValid);
        Assert.Equal(TestData.Object("alice_self_signing"), query.GetObject("self_signing_keys")!.GetObject(Alice));
    }

    [Fact]
    public async Task A_user_without_keys_maps_to_an_empty_object_and_device_lists_filter()
    {
        var query = await _bob.QueryAsync("@carol:example.org");
        Assert.Equal(JsonObject.Of(("@carol:example.org", JsonObject.Empty)), query.GetObject("device_keys"));
        Assert.Empty(query.GetObject("master_keys")!);

        var (status, only) = await _bob.PostAsync("keys/query", JsonObject.Of(("device_keys", JsonObject.Of((Alice, new JsonArray("NOTHERE"))))));
        Assert.Equal(200, status);
        Assert.Equal(JsonObject.Of((Alice, JsonObject.Empty)), only.GetObject("device_keys"));
    }

    [Fact]
    public async Task Replacing_the_self_signing_key_needs_the_password_and_the_old_device_signature_then_names_a_key_nobody_has()
    {
        using var newSsk = Ed25519SoftwareKey.FromSeed("new-self-signing-new-self-signin"u8);
        var body = JsonObject.Of(("self_signing_key", SignedJson.Sign(CrossSigningKey.Create(Alice, KeyUsage.SelfSigning, newSsk.PublicKey).Json, Alice, _ids.AliceMsk.PublicKey.Base64, _ids.AliceMsk)));
        var (status, challenge) = await _alice.PostAsync("keys/device_signing/upload", body);
        Assert.Equal(401, status);
        var session = challenge.GetString("session")!;
        var (wrong, again) = await _alice.PostAsync("keys/device_signing/upload", body.With("auth", JsonObject.Of(("type", "m.login.password"), ("identifier", JsonObject.Of(("type", "m.id.user"), ("user", Alice))), ("password", "nope"), ("session", session))));
        Assert.Equal((401, "M_FORBIDDEN"), (wrong, again.GetString("errcode")));
        var (ok, _) = await _alice.PostAsync("keys/device_signing/upload", body.With("auth", JsonObject.Of(("type", "m.login.password"), ("identifier", JsonObject.Of(("type", "m.id.user"), ("user", Alice))), ("password", "pw"), ("session", session))));
        Assert.Equal(200, ok);

        var query = await _bob.QueryAsync(Alice);
        var phone = DeviceKeys.Parse(query.GetObject("device_keys")!.GetObject(Alice)!.GetObject("PHONE")!);
        Assert.False(phone.VerifySignedBy(newSsk.PublicKey).IsValid);
        Assert.True(phone.VerifySignedBy(_ids.AliceSsk.PublicKey).IsValid);
    }
}
