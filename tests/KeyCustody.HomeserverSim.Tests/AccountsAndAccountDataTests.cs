using KeyCustody.Matrix.Json;
using Xunit;
using static KeyCustody.Tests.Shared.Identities;

namespace KeyCustody.HomeserverSim.Tests;

/// <summary>Login-free tokens, the Authorization header only, global account data, and device uploads.</summary>
public sealed class AccountsAndAccountDataTests : IDisposable
{
    private readonly HomeserverSimulator _sim = new();

    public void Dispose() => _sim.Dispose();

    [Fact]
    public async Task Register_hands_out_a_working_token_and_the_token_must_come_in_the_header()
    {
        using var anonymous = new SimClient(_sim.Url, null);
        var (status, registered) = await anonymous.SendAsync(HttpMethod.Post, "_keycustody_sim/v1/register", JsonObject.Of(("user_id", Alice), ("password", "pw"), ("device_id", "LAPTOP")));
        Assert.Equal(200, status);
        Assert.Equal("LAPTOP", registered.GetString("device_id"));
        var token = registered.GetString("access_token")!;

        var missing = await anonymous.PostAsync("keys/query", JsonObject.Of(("device_keys", JsonObject.Empty)));
        Assert.Equal((401, "M_MISSING_TOKEN"), (missing.Status, missing.Body.GetString("errcode")));
        var inQuery = await anonymous.SendAsync(HttpMethod.Post, "_matrix/client/v3/keys/query?access_token=" + token, JsonObject.Of(("device_keys", JsonObject.Empty)));
        Assert.Equal(401, inQuery.Status);
        using var wrong = new SimClient(_sim.Url, "nope");
        Assert.Equal("M_UNKNOWN_TOKEN", (await wrong.PostAsync("keys/query", JsonObject.Empty)).Body.GetString("errcode"));
        using var alice = new SimClient(_sim.Url, token);
        Assert.Equal(200, (await alice.PostAsync("keys/query", JsonObject.Of(("device_keys", JsonObject.Empty)))).Status);
    }

    [Fact]
    public async Task Account_data_is_each_users_own_and_an_empty_object_is_stored_as_such()
    {
        var (token, _) = _sim.Register(Alice);
        var (bobToken, _) = _sim.Register(Bob);
        using var alice = new SimClient(_sim.Url, token);
        using var bob = new SimClient(_sim.Url, bobToken);
        var path = "_matrix/client/v3/user/" + Uri.EscapeDataString(Alice) + "/account_data/m.secret_storage.default_key";

        var absent = await alice.SendAsync(HttpMethod.Get, path);
        Assert.Equal((404, "M_NOT_FOUND"), (absent.Status, absent.Body.GetString("errcode")));
        Assert.Equal(200, (await alice.SendAsync(HttpMethod.Put, path, JsonObject.Of(("key", "abc")))).Status);
        Assert.Equal((200, JsonObject.Of(("key", "abc"))), await alice.SendAsync(HttpMethod.Get, path));
        Assert.Equal(200, (await alice.SendAsync(HttpMethod.Put, path, JsonObject.Of(("encrypted", JsonObject.Empty)))).Status);
        Assert.Equal(JsonObject.Of(("encrypted", JsonObject.Empty)), _sim.AccountData(Alice, "m.secret_storage.default_key"));

        Assert.Equal(403, (await bob.SendAsync(HttpMethod.Get, path)).Status);
        Assert.Equal(403, (await bob.SendAsync(HttpMethod.Put, path, JsonObject.Empty)).Status);
    }

    [Fact]
    public async Task Keys_upload_takes_only_the_tokens_own_self_signed_device_and_counts_one_time_keys()
    {
        var (token, device) = _sim.Register(Alice, null, "PHONE");
        using var alice = new SimClient(_sim.Url, token);
        using var key = KeyCustody.Matrix.Signing.Ed25519SoftwareKey.FromSeed("alice-phone-alice-phone-alice-ph"u8);
        var other = await alice.PostAsync("keys/upload", JsonObject.Of(("device_keys", SignedDevice(Alice, "TABLET", key, null))));
        Assert.Equal(400, other.Status);
        var unsigned = SignedDevice(Alice, device, key, null).Without("signatures");
        Assert.Equal(400, (await alice.PostAsync("keys/upload", JsonObject.Of(("device_keys", unsigned)))).Status);

        var (status, counts) = await alice.PostAsync("keys/upload", JsonObject.Of(
            ("device_keys", SignedDevice(Alice, device, key, null)),
            ("one_time_keys", JsonObject.Of(("signed_curve25519:AAAA", JsonObject.Empty), ("signed_curve25519:AAAB", JsonObject.Empty)))));
        Assert.Equal(200, status);
        Assert.Equal(JsonObject.Of(("one_time_key_counts", JsonObject.Of(("signed_curve25519", 2L)))), counts);
        Assert.Equal(SignedDevice(Alice, device, key, null), _sim.Device(Alice, device));
    }
}
