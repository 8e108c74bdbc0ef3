using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Signing;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Tests.Shared.Identities;
using static KeyCustody.Tests.Shared.TestData;

namespace KeyCustody.Matrix.Tests;

public sealed class CrossSigningTests : IDisposable
{
    private readonly Identities _ids = new();

    public void Dispose() => _ids.Dispose();

    [Fact]
    public void Create_builds_the_vector_objects_exactly()
    {
        var ssk = CrossSigningKey.Create(Alice, KeyUsage.SelfSigning, _ids.AliceSsk.PublicKey);
        Assert.Equal(Object("alice_self_signing").Without("signatures"), ssk.Json);
        var signed = SignedJson.Sign(ssk.Json, Alice, _ids.AliceMsk.PublicKey.Base64, _ids.AliceMsk);
        Assert.Equal(Object("alice_self_signing"), signed);
    }

    [Theory]
    [InlineData("{\"user_id\": \"@a:b\", \"usage\": [\"master\"], \"keys\": {}}", "exactly one entry")]
    [InlineData("{\"user_id\": \"@a:b\", \"usage\": [\"master\"], \"keys\": {\"ed25519:XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNI\": \"XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNI\", \"ed25519:b\": \"b\"}}", "exactly one entry")]
    [InlineData("{\"user_id\": \"@a:b\", \"usage\": [], \"keys\": {}}", "usage must be exactly one")]
    [InlineData("{\"user_id\": \"@a:b\", \"usage\": [\"other\"], \"keys\": {}}", "usage must be exactly one")]
    [InlineData("{\"user_id\": \"a\", \"usage\": [\"master\"], \"keys\": {}}", "user_id")]
    [InlineData("{\"user_id\": \"@a:b\", \"usage\": [\"master\"], \"keys\": {\"curve25519:XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNI\": \"XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNI\"}}", "not an ed25519 key id")]
    [InlineData("{\"user_id\": \"@a:b\", \"usage\": [\"master\"], \"keys\": {\"ed25519:XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNJ\": \"XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNJ\"}}", "not canonical")]
    [InlineData("{\"user_id\": \"@a:b\", \"usage\": [\"master\"], \"keys\": {\"ed25519:AAAA\": \"AAAA\"}}", "not 32")]
    [InlineData("{\"user_id\": \"@a:b\", \"usage\": [\"master\"], \"keys\": {\"ed25519:XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNI\": \"XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNI\"}, \"signatures\": []}", "signatures must be an object")]
    public void Parse_refuses_invalid_keys_with_a_reason(string json, string reason)
    {
        Assert.False(CrossSigningKey.TryParse(Parse(json), out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Device_signing_upload_body_is_validated_and_exact()
    {
        var body = DeviceSigningUpload.Build(
            CrossSigningKey.Parse(Object("alice_master"), KeyUsage.Master),
            CrossSigningKey.Parse(Object("alice_self_signing"), KeyUsage.SelfSigning),
            CrossSigningKey.Parse(Object("alice_user_signing"), KeyUsage.UserSigning));
        Assert.Equal(["master_key", "self_signing_key", "user_signing_key"], body.PropertyNames);
        Assert.Equal(Object("alice_self_signing"), body["self_signing_key"]);

        // Only an SSK: it must be checked against the current master key.
        var sskOnly = CrossSigningKey.Parse(Object("alice_self_signing"), KeyUsage.SelfSigning);
        Assert.Throws<MatrixFormatException>(() => DeviceSigningUpload.Build(null, sskOnly, null));
        Assert.Single(DeviceSigningUpload.Build(null, sskOnly, null, _ids.AliceMsk.PublicKey, null));
        var withAuth = DeviceSigningUpload.Build(null, sskOnly, null, _ids.AliceMsk.PublicKey, Parse("{\"session\": \"x\"}"));
        Assert.Equal(Parse("{\"session\": \"x\"}"), withAuth["auth"]);
    }

    [Fact]
    public void Device_signing_upload_refuses_what_synapse_would_refuse()
    {
        var master = CrossSigningKey.Parse(Object("alice_master"), KeyUsage.Master);
        var unsignedSsk = CrossSigningKey.Parse(Object("alice_self_signing").Without("signatures"), KeyUsage.SelfSigning);
        var e = Assert.Throws<MatrixFormatException>(() => DeviceSigningUpload.Build(master, unsignedSsk, null));
        Assert.Contains("M_INVALID_SIGNATURE", e.Message, StringComparison.Ordinal);

        var bobSsk = CrossSigningKey.Parse(_ids.BobSskJson, KeyUsage.SelfSigning);
        Assert.Contains("one user", Assert.Throws<MatrixFormatException>(() => DeviceSigningUpload.Build(master, bobSsk, null)).Message, StringComparison.Ordinal);
        Assert.Throws<MatrixFormatException>(() => DeviceSigningUpload.Build(null, null, null));
        Assert.Throws<MatrixFormatException>(() => DeviceSigningUpload.Build(master, master, null));
    }

    [Fact]
    public void Signatures_upload_shapes_each_entry_as_synapse_expects()
    {
        var upload = new SignaturesUpload(Alice)
            .AddOwnDevice(Object("alice_device_cross_signed"), _ids.AliceSsk.PublicKey)
            .AddOwnMasterKey(SignedJson.Sign(Object("alice_master_signed_by_device"), Alice, _ids.AliceMsk.PublicKey.Base64, _ids.AliceMsk), AliceDevice, _ids.AliceDeviceKey.PublicKey)
            .AddOtherUserMasterKey(Object("bob_master_signed_by_alice_usk"), _ids.AliceUsk.PublicKey);
        var body = upload.Build();
        Assert.Equal(3, upload.Count);

        var aliceEntries = body.GetObject(Alice)!;
        Assert.Equal([AliceDevice, _ids.AliceMsk.PublicKey.Base64], aliceEntries.PropertyNames.Order(StringComparer.Ordinal));

        // Own master key: only the device signature, never the master key's self-signature.
        var masterSigs = aliceEntries.GetObject(_ids.AliceMsk.PublicKey.Base64)!.GetObject("signatures")!;
        Assert.Equal([Alice], masterSigs.PropertyNames);
        Assert.Equal(["ed25519:" + AliceDevice], masterSigs.GetObject(Alice)!.PropertyNames);

        // Another user's master key: keyed by that key, signed under the uploader's ID by the USK.
        var bobEntry = body.GetObject(Bob)!.GetObject(_ids.BobMsk.PublicKey.Base64)!;
        Assert.Equal([_ids.AliceUsk.PublicKey.KeyId], bobEntry.GetObject("signatures")!.GetObject(Alice)!.PropertyNames);
        Assert.Equal(Object("bob_master_signed_by_alice_usk").Without("signatures"), bobEntry.Without("signatures"));

        // Own device: the object except signatures is as given (unsigned included).
        var device = aliceEntries.GetObject(AliceDevice)!;
        Assert.Equal(Object("alice_device_cross_signed").Without("signatures"), device.Without("signatures"));
    }

    [Fact]
    public void Signatures_upload_refuses_unsigned_foreign_and_duplicate_entries()
    {
        var upload = new SignaturesUpload(Alice);
        Assert.Throws<MatrixFormatException>(() => upload.AddOwnDevice(Identities.SignedDevice(Alice, AliceDevice, _ids.AliceDeviceKey, null), _ids.AliceSsk.PublicKey));
        Assert.Throws<MatrixFormatException>(() => upload.AddOwnDevice(_ids.BobDeviceJson, _ids.AliceSsk.PublicKey));
        Assert.Throws<MatrixFormatException>(() => upload.AddOtherUserMasterKey(Object("alice_master"), _ids.AliceUsk.PublicKey));
        Assert.Throws<MatrixFormatException>(() => upload.AddOtherUserMasterKey(Object("bob_master_signed_by_alice_usk").Without("signatures"), _ids.AliceUsk.PublicKey));
        Assert.Throws<MatrixFormatException>(() => upload.Build());
        upload.AddOwnDevice(Object("alice_device_cross_signed"), _ids.AliceSsk.PublicKey);
        Assert.Throws<MatrixFormatException>(() => upload.AddOwnDevice(Object("alice_device_cross_signed"), _ids.AliceSsk.PublicKey));
    }
}
