using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Tests.Shared.Identities;

namespace KeyCustody.HomeserverSim.Tests;

/// <summary>The <c>failures</c> map of /keys/signatures/upload, entry by entry as Synapse builds it (<c>_exception_to_failure</c>).</summary>
public sealed class SignaturesUploadFailureTests : IDisposable
{
    private readonly HomeserverSimulator _sim = new();
    private readonly Identities _ids = new();

    public void Dispose()
    {
        _ids.Dispose();
        _sim.Dispose();
    }

    private static JsonObject Failure(int status, string errcode, string message) => JsonObject.Of(("status", status), ("errcode", errcode), ("message", message));

    [Fact]
    public async Task Without_cross_signing_keys_every_entry_fails_with_what_is_missing()
    {
        var (token, _) = _sim.Register(Alice, "pw", "PHONE");
        using var alice = new SimClient(_sim.Url, token);
        var (status, answer) = await alice.PostAsync("keys/signatures/upload", JsonObject.Of(
            (Alice, JsonObject.Of(("PHONE", JsonObject.Empty))),
            (Bob, JsonObject.Of(("X", JsonObject.Empty), ("Y", JsonObject.Empty)))));
        Assert.Equal(200, status);
        Assert.Equal(
            JsonObject.Of(("failures", JsonObject.Of(
                (Alice, JsonObject.Of(("PHONE", Failure(404, "M_NOT_FOUND", $"404: No self_signing key found for {Alice}")))),
                (Bob, JsonObject.Of(("X", Failure(404, "M_NOT_FOUND", $"404: No user_signing key found for {Alice}")), ("Y", Failure(404, "M_NOT_FOUND", $"404: No user_signing key found for {Alice}"))))))),
            answer);
    }

    [Fact]
    public async Task For_another_user_only_their_master_key_counts_and_a_wrong_object_is_named()
    {
        var (token, _) = _sim.Register(Alice, "pw", "PHONE");
        using var alice = new SimClient(_sim.Url, token);
        _sim.SetCrossSigningKey(Alice, "master", TestData.Object("alice_master"));
        _sim.SetCrossSigningKey(Alice, "user_signing", TestData.Object("alice_user_signing"));
        var bobMaster = CrossSigningKey.Create(Bob, KeyUsage.Master, _ids.BobMsk.PublicKey).Json;
        _sim.SetCrossSigningKey(Bob, "master", bobMaster);

        var notTheMaster = await alice.PostAsync("keys/signatures/upload", JsonObject.Of((Bob, JsonObject.Of(("BOBPHONE", JsonObject.Empty)))));
        Assert.Equal(Failure(404, "M_NOT_FOUND", "404: Unknown device"), notTheMaster.Body.GetObject("failures")!.GetObject(Bob)!.GetObject("BOBPHONE"));

        var altered = SignedJson.Sign(bobMaster.With("extra", 1), Alice, _ids.AliceUsk.PublicKey.Base64, _ids.AliceUsk);
        var mismatch = await alice.PostAsync("keys/signatures/upload", JsonObject.Of((Bob, JsonObject.Of((_ids.BobMsk.PublicKey.Base64, altered), ("BOBPHONE", JsonObject.Empty)))));
        Assert.Equal(
            JsonObject.Of(
                ("BOBPHONE", Failure(404, "M_NOT_FOUND", "404: Unknown device")),
                (_ids.BobMsk.PublicKey.Base64, Failure(400, "M_UNKNOWN", "400: Key does not match"))),
            mismatch.Body.GetObject("failures")!.GetObject(Bob));

        var bySomeoneElse = SignedJson.Sign(bobMaster, Alice, _ids.AliceUsk.PublicKey.Base64, _ids.AliceSsk);
        var invalid = await alice.PostAsync("keys/signatures/upload", JsonObject.Of((Bob, JsonObject.Of((_ids.BobMsk.PublicKey.Base64, bySomeoneElse)))));
        Assert.Equal(Failure(400, "M_INVALID_SIGNATURE", "400: Invalid signature"), invalid.Body.GetObject("failures")!.GetObject(Bob)!.GetObject(_ids.BobMsk.PublicKey.Base64));
        Assert.Equal(bobMaster, _sim.CrossSigningKey(Bob, "master"));
    }

    [Fact]
    public async Task A_body_that_is_not_a_map_of_maps_of_objects_is_a_400()
    {
        var (token, _) = _sim.Register(Alice);
        using var alice = new SimClient(_sim.Url, token);
        var (status, body) = await alice.PostAsync("keys/signatures/upload", JsonObject.Of((Alice, JsonObject.Of(("PHONE", "not an object")))));
        Assert.Equal((400, "M_INVALID_PARAM"), (status, body.GetString("errcode")));
    }
}
