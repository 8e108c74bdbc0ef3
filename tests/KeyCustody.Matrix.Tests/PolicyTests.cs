using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Policy;
using KeyCustody.Matrix.Signing;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Tests.Shared.Identities;
using static KeyCustody.Tests.Shared.TestData;

namespace KeyCustody.Matrix.Tests;

/// <summary>The §3.1 table: for each role, what it may sign, and a refusal with a reason for the rest.</summary>
public sealed class PolicyTests : IDisposable
{
    private readonly Identities _ids = new();

    public void Dispose() => _ids.Dispose();

    /// <summary>Alice's three cross-signing keys, as a daemon holding them knows them.</summary>
    private KnownIdentity AliceKnown => KnownIdentity.None
        .With(KeyUsage.Master, _ids.AliceMsk.PublicKey)
        .With(KeyUsage.SelfSigning, _ids.AliceSsk.PublicKey)
        .With(KeyUsage.UserSigning, _ids.AliceUsk.PublicKey);

    private PolicyDecision Decide(KeyRole role, JsonObject payload, string owner = Alice, KnownIdentity? known = null)
    {
        var signer = role switch
        {
            KeyRole.Master => _ids.AliceMsk.PublicKey,
            KeyRole.SelfSigning => _ids.AliceSsk.PublicKey,
            KeyRole.UserSigning => _ids.AliceUsk.PublicKey,
            _ => _ids.BobMsk.PublicKey,
        };
        return SigningPolicy.Evaluate(role, owner, signer, known ?? AliceKnown, payload);
    }

    private JsonObject AliceDeviceUnsignedBySsk() => Identities.SignedDevice(Alice, AliceDevice, _ids.AliceDeviceKey, null);

    [Fact]
    public void Master_signs_own_self_signing_and_user_signing_keys()
    {
        var ssk = Decide(KeyRole.Master, Object("alice_self_signing").Without("signatures"));
        Assert.True(ssk.Allowed, ssk.Reason);
        Assert.Equal(PayloadKind.SelfSigningKey, ssk.Kind);
        Assert.Equal($"sign the self-signing key {_ids.AliceSsk.PublicKey.Base64} of {Alice} with the master key", ssk.Intent);
        Assert.True(Decide(KeyRole.Master, Object("alice_user_signing")).Allowed);
    }

    [Fact]
    public void An_allowed_decision_gives_its_intent_as_its_reason_and_equals_the_same_decision()
    {
        var ssk = Decide(KeyRole.Master, Object("alice_self_signing").Without("signatures"));
        Assert.Equal("allowed: " + ssk.Intent, ssk.Reason);
        Assert.Equal(ssk, Decide(KeyRole.Master, Object("alice_self_signing").Without("signatures")));
        Assert.Equal("other", (ssk with { Reason = "other" }).Reason);
        Assert.NotEqual(ssk, ssk with { Reason = "other" });
        Assert.Contains("Reason = allowed: sign the self-signing key", ssk.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Master_self_signature_and_key_backup_auth_data_are_allowed()
    {
        Assert.True(Decide(KeyRole.Master, Object("alice_master")).Allowed);
        var backup = Parse("{\"public_key\": \"hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo\", \"signatures\": {}}");
        var d = Decide(KeyRole.Master, backup);
        Assert.True(d.Allowed, d.Reason);
        Assert.Equal(PayloadKind.KeyBackupAuthData, d.Kind);
    }

    [Theory]
    [InlineData("device")]
    [InlineData("bob master")]
    [InlineData("other user's ssk")]
    [InlineData("another master key")]
    [InlineData("ssk equal to master")]
    [InlineData("arbitrary")]
    [InlineData("backup with extra member")]
    public void Master_refuses_everything_else(string what)
    {
        using var other = Ed25519SoftwareKey.Generate();
        var payload = what switch
        {
            "device" => Object("alice_device_cross_signed"),
            "bob master" => Object("bob_master_signed_by_alice_usk"),
            "other user's ssk" => _ids.BobSskJson,
            "another master key" => CrossSigningKey.Create(Alice, KeyUsage.Master, other.PublicKey).Json,
            "ssk equal to master" => CrossSigningKey.Create(Alice, KeyUsage.SelfSigning, _ids.AliceMsk.PublicKey).Json,
            "arbitrary" => Parse("{\"type\": \"m.room.message\", \"content\": {\"body\": \"hi\"}}"),
            _ => Parse("{\"public_key\": \"hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo\", \"extra\": 1}"),
        };
        var d = Decide(KeyRole.Master, payload);
        Assert.False(d.Allowed);
        Assert.Equal(string.Empty, d.Intent);
        Assert.False(string.IsNullOrWhiteSpace(d.Reason));
        Assert.Matches("^(master-[a-z-]+|same-as-master)$", d.Rule);
    }

    [Fact]
    public void Self_signing_signs_own_self_signed_devices_with_the_expected_intent()
    {
        var d = Decide(KeyRole.SelfSigning, AliceDeviceUnsignedBySsk());
        Assert.True(d.Allowed, d.Reason);
        Assert.Equal(PayloadKind.DeviceKeys, d.Kind);
        Assert.Equal("sign device JLAFKJWSCS of @alice:example.org with the self-signing key", d.Intent);
    }

    [Theory]
    [InlineData("bob's device", "does not sign devices of @bob:example.org", "ssk-other-user")]
    [InlineData("device without self-signature", "does not carry its own valid self-signature", "device-not-self-signed")]
    [InlineData("device with a forged self-signature", "does not carry its own valid self-signature", "device-not-self-signed")]
    [InlineData("a master key", "this is a master key", "ssk-wrong-object")]
    [InlineData("device named after the ssk", "collides with the self-signing key", "device-id-collides")]
    [InlineData("arbitrary", "not valid device keys", "ssk-wrong-object")]
    public void Self_signing_refuses_everything_else(string what, string reason, string rule)
    {
        var unsigned = AliceDeviceUnsignedBySsk().Without("signatures");
        var payload = what switch
        {
            "bob's device" => _ids.BobDeviceJson,
            "device without self-signature" => unsigned,
            "device with a forged self-signature" => SignedJson.Sign(unsigned, Alice, AliceDevice, _ids.BobDeviceKey),
            "a master key" => Object("alice_master"),
            "device named after the ssk" => Identities.SignedDevice(Alice, _ids.AliceSsk.PublicKey.Base64, _ids.AliceDeviceKey, null),
            _ => Parse("{\"a\": 1}"),
        };
        var d = Decide(KeyRole.SelfSigning, payload);
        Assert.False(d.Allowed);
        Assert.Contains(reason, d.Reason, StringComparison.Ordinal);
        Assert.Equal(rule, d.Rule);
    }

    [Fact]
    public void User_signing_signs_other_users_master_keys()
    {
        var d = Decide(KeyRole.UserSigning, Object("bob_master_signed_by_alice_usk").Without("signatures"));
        Assert.True(d.Allowed, d.Reason);
        Assert.Equal($"sign the master key {_ids.BobMsk.PublicKey.Base64} of {Bob} with the user-signing key of {Alice}", d.Intent);
    }

    [Theory]
    [InlineData("own master", "not @alice:example.org's own", "usk-own-master-key")]
    [InlineData("bob's ssk", "signs only master keys", "usk-not-master-key")]
    [InlineData("a device", "this is device keys", "usk-wrong-object")]
    [InlineData("two usages", "not a valid cross-signing key", "usk-wrong-object")]
    [InlineData("key id suffix differs", "does not end with its public key", "usk-wrong-object")]
    [InlineData("padded key", "not a valid cross-signing key", "usk-wrong-object")]
    public void User_signing_refuses_everything_else(string what, string reason, string rule)
    {
        var bobMaster = Object("bob_master_signed_by_alice_usk");
        var bobKey = _ids.BobMsk.PublicKey.Base64;
        var payload = what switch
        {
            "own master" => Object("alice_master"),
            "bob's ssk" => _ids.BobSskJson,
            "a device" => _ids.BobDeviceJson,
            "two usages" => bobMaster.With("usage", new JsonArray("master", "user_signing")),
            "key id suffix differs" => bobMaster.With("keys", JsonObject.Of(("ed25519:" + bobKey, _ids.AliceMsk.PublicKey.Base64))),
            _ => bobMaster.With("keys", JsonObject.Of(("ed25519:" + bobKey + "=", bobKey + "="))),
        };
        var d = Decide(KeyRole.UserSigning, payload);
        Assert.False(d.Allowed);
        Assert.Contains(reason, d.Reason, StringComparison.Ordinal);
        Assert.Equal(rule, d.Rule);
    }

    [Fact]
    public void Server_signs_any_object()
    {
        var d = SigningPolicy.Evaluate(KeyRole.Server, "example.org", _ids.BobMsk.PublicKey, KnownIdentity.None, Parse("{\"type\": \"m.room.message\"}"));
        Assert.True(d.Allowed);
        Assert.Equal(PayloadKind.Other, d.Kind);
        Assert.Contains("example.org", d.Intent, StringComparison.Ordinal);
    }

    [Fact]
    public void User_roles_need_a_user_id_owner()
    {
        var d = SigningPolicy.Evaluate(KeyRole.SelfSigning, "example.org", _ids.AliceSsk.PublicKey, KnownIdentity.None, AliceDeviceUnsignedBySsk());
        Assert.False(d.Allowed);
        Assert.Contains("must be a user ID", d.Reason, StringComparison.Ordinal);
    }
}
