using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Policy;
using KeyCustody.Matrix.Signing;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Tests.Shared.Identities;
using static KeyCustody.Tests.Shared.TestData;

namespace KeyCustody.Matrix.Tests;

/// <summary>
/// What the policy does with what the daemon knows of the owner's identity (its configured cross-signing keys, given as
/// data): device IDs that could be taken for a key, identifiers outside the spec's grammar, key separation for the
/// master key, and key objects with members the spec does not define.
/// </summary>
public sealed class IdentityPolicyTests : IDisposable
{
    private readonly Identities _ids = new();

    public void Dispose() => _ids.Dispose();

    private KnownIdentity Known => KnownIdentity.None
        .With(KeyUsage.Master, _ids.AliceMsk.PublicKey)
        .With(KeyUsage.SelfSigning, _ids.AliceSsk.PublicKey)
        .With(KeyUsage.UserSigning, _ids.AliceUsk.PublicKey);

    private PolicyDecision Ssk(JsonObject device, KnownIdentity? known = null) =>
        SigningPolicy.Evaluate(KeyRole.SelfSigning, Alice, _ids.AliceSsk.PublicKey, known ?? Known, device);

    private PolicyDecision Master(JsonObject obj, KnownIdentity? known = null) =>
        SigningPolicy.Evaluate(KeyRole.Master, Alice, _ids.AliceMsk.PublicKey, known ?? Known, obj);

    private PolicyDecision Usk(JsonObject obj) =>
        SigningPolicy.Evaluate(KeyRole.UserSigning, Alice, _ids.AliceUsk.PublicKey, Known, obj);

    [Theory]
    [InlineData("master", "has the ID of @alice:example.org's master key")]
    [InlineData("user-signing", "has the ID of @alice:example.org's user-signing key")]
    [InlineData("master, padded", "has the ID of @alice:example.org's master key")]
    [InlineData("self-signing", "collides with the self-signing key itself")]
    [InlineData("its own key", "is named after its own Ed25519 key")]
    public void A_device_named_after_a_key_is_refused(string named, string reason)
    {
        using var deviceKey = Ed25519SoftwareKey.Generate();
        var deviceId = named switch
        {
            "master" => _ids.AliceMsk.PublicKey.Base64,
            "user-signing" => _ids.AliceUsk.PublicKey.Base64,
            "master, padded" => _ids.AliceMsk.PublicKey.Base64 + "=",
            "self-signing" => _ids.AliceSsk.PublicKey.Base64,
            _ => deviceKey.PublicKey.Base64,
        };
        var d = Ssk(Identities.SignedDevice(Alice, deviceId, deviceKey, null));
        Assert.False(d.Allowed);
        Assert.Equal("device-id-collides", d.Rule);
        Assert.Contains(reason, d.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_device_whose_key_is_a_cross_signing_key_is_refused()
    {
        // Only the holder of the master key's private half could self-sign such a device; refused all the same.
        var d = Ssk(Identities.SignedDevice(Alice, "THEMASTER", _ids.AliceMsk, null));
        Assert.False(d.Allowed);
        Assert.Contains("has @alice:example.org's master key as its own key", d.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_keys_the_daemon_knows_are_caught_a_key_shaped_device_id_it_does_not_know_is_signed()
    {
        using var deviceKey = Ed25519SoftwareKey.Generate();
        using var curve = Ed25519SoftwareKey.Generate();

        // matrix-rust-sdk names dehydrated devices after their Curve25519 key: 43 base64 characters, like a key.
        Assert.True(Ssk(Identities.SignedDevice(Alice, curve.PublicKey.Base64, deviceKey, null)).Allowed);

        // Without the master key in what the daemon knows, a device named after it cannot be caught: the limit.
        var unknown = KnownIdentity.None.With(KeyUsage.SelfSigning, _ids.AliceSsk.PublicKey);
        Assert.True(Ssk(Identities.SignedDevice(Alice, _ids.AliceMsk.PublicKey.Base64, deviceKey, null), unknown).Allowed);
    }

    [Theory]
    [InlineData("PHONE\u001B[2K\r\u001B[1A\u001B[2K", "U+001B, a control character")]
    [InlineData("PHONE\u202EENOHP", "U+202E, a format character")]
    [InlineData("MY PHONE", "U+0020, a space")]
    [InlineData("T\u00C9L\u00C9PHONE", "U+00C9, not ASCII")]
    public void A_device_id_no_server_or_client_makes_is_refused_without_being_quoted(string deviceId, string why)
    {
        using var deviceKey = Ed25519SoftwareKey.Generate();
        var d = Ssk(Identities.SignedDevice(Alice, deviceId, deviceKey, null));
        Assert.False(d.Allowed);
        Assert.Equal("device-id-invalid", d.Rule);
        Assert.Contains(why, d.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(deviceId, d.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("@bob\u202E:example.org", "U+202E")]
    [InlineData("@bob:exa\u0000mple.org", "U+0000")]
    [InlineData("@:example.org", "its localpart is empty")]
    [InlineData("@b\u00F6b:example.org", "U+00F6, not ASCII")]
    public void The_user_signing_key_refuses_a_master_key_of_a_user_id_outside_the_grammar(string userId, string why)
    {
        var d = Usk(CrossSigningKey.Create("@bob:example.org", KeyUsage.Master, _ids.BobMsk.PublicKey).Json.With("user_id", userId));
        Assert.False(d.Allowed);
        Assert.Contains("user_id", d.Reason, StringComparison.Ordinal);
        Assert.Contains(why, d.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(userId, d.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Historical_user_ids_are_still_signed()
    {
        var d = Usk(CrossSigningKey.Create("@Bob!Old:example.org", KeyUsage.Master, _ids.BobMsk.PublicKey).Json);
        Assert.True(d.Allowed, d.Reason);
    }

    [Fact]
    public void A_device_of_a_user_id_outside_the_grammar_is_refused_before_it_is_quoted()
    {
        using var deviceKey = Ed25519SoftwareKey.Generate();
        var userId = "@alice\u202E:example.org";
        var d = Ssk(Identities.SignedDevice(userId, "PHONE", deviceKey, null));
        Assert.False(d.Allowed);
        Assert.Equal("user-id-invalid", d.Rule);
        Assert.Contains("U+202E", d.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(userId, d.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_master_key_signs_the_user_signing_key_only_as_the_user_signing_key()
    {
        // The user-signing key presented as the self-signing key.
        var swapped = Master(CrossSigningKey.Create(Alice, KeyUsage.SelfSigning, _ids.AliceUsk.PublicKey).Json);
        Assert.False(swapped.Allowed);
        Assert.Equal("master-key-separation", swapped.Rule);
        Assert.Contains($"the self-signing key of {Alice} is {_ids.AliceSsk.PublicKey.Base64}", swapped.Reason, StringComparison.Ordinal);
        Assert.Contains("which is @alice:example.org's user-signing key", swapped.Reason, StringComparison.Ordinal);

        using var stranger = Ed25519SoftwareKey.Generate();
        Assert.Equal("master-key-separation", Master(CrossSigningKey.Create(Alice, KeyUsage.UserSigning, stranger.PublicKey).Json).Rule);
        var none = Master(Object("alice_self_signing").Without("signatures"), KnownIdentity.None.With(KeyUsage.Master, _ids.AliceMsk.PublicKey));
        Assert.Contains("no self-signing key of @alice:example.org is configured here", none.Reason, StringComparison.Ordinal);

        Assert.True(Master(Object("alice_self_signing").Without("signatures")).Allowed);
        Assert.True(Master(Object("alice_user_signing").Without("signatures")).Allowed);
    }

    [Theory]
    [InlineData("alice_master")]
    [InlineData("alice_self_signing")]
    [InlineData("alice_user_signing")]
    public void The_master_key_signs_no_key_object_with_members_the_spec_does_not_define(string vector)
    {
        var d = Master(Object(vector).With("extra", JsonObject.Of(("a", 1))));
        Assert.False(d.Allowed);
        Assert.Equal("master-extra-members", d.Rule);
        Assert.Contains("has 1 other member(s)", d.Reason, StringComparison.Ordinal);
        Assert.True(Master(Object(vector)).Allowed);
    }
}
