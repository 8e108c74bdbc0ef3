using KeyCustody.Matrix.Json;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Tests.Shared.Identities;

namespace KeyCustody.Cli.Tests;

public sealed class TrustCommandTests : IDisposable
{
    private readonly Identities _ids = new();
    private readonly string _file = Path.GetTempFileName();

    public void Dispose()
    {
        _ids.Dispose();
        File.Delete(_file);
    }

    private Cli.Result Check(JsonObject response, params string[] extra)
    {
        File.WriteAllBytes(_file, CanonicalJson.Encode(response));
        return Cli.Run((byte[]?)null, ["trust", "check", "--query", _file, "--user", Alice, "--master-key", _ids.AliceMsk.PublicKey.Base64, .. extra]);
    }

    [Fact]
    public void All_trusted_exits_0_with_a_line_per_device()
    {
        var r = Check(_ids.Response());
        Assert.Equal(0, r.ExitCode);
        Assert.Equal($"{Alice} {AliceDevice} trusted\n{Bob} {BobDevice} trusted\n", r.Out);
    }

    [Fact]
    public void A_broken_link_exits_1_and_names_it()
    {
        var response = _ids.Response();
        response = response.With("master_keys", response.GetObject("master_keys")!.With(Bob, TestData.Object("bob_master_signed_by_alice_usk").Without("signatures")));
        var r = Check(response);
        Assert.Equal(1, r.ExitCode);
        var lines = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($"{Alice} {AliceDevice} trusted", lines[0]);
        Assert.StartsWith($"{Bob} {BobDevice} untrusted: master_key signature_missing: ", lines[1], StringComparison.Ordinal);

        var json = Check(response, "--json");
        Assert.Equal(1, json.ExitCode);
        var verdicts = (JsonArray)CanonicalJson.Parse(json.Stdout);
        var bob = (JsonObject)verdicts[1];
        Assert.Equal(JsonBoolean.False, bob["trusted"]);
        Assert.Equal("master_key", bob.GetString("link"));
        Assert.Equal("signature_missing", bob.GetString("problem"));
    }

    [Fact]
    public void Bad_input_exits_2()
    {
        Cli.AssertBadInput(Check(_ids.Response().With("device_keys", 5L)), "device_keys");
        Cli.AssertBadInput(Cli.Run("{}", "trust", "check", "--query", "-", "--user", Alice, "--master-key", "short"), "--master-key");
        Cli.AssertBadInput(Cli.Run("{\"a\": 1.0}", "trust", "check", "--query", "-", "--user", Alice, "--master-key", _ids.AliceMsk.PublicKey.Base64), "floating-point");
        Cli.AssertBadInput(Cli.Run("{}", "trust", "check", "--query", "-", "--user", "alice", "--master-key", _ids.AliceMsk.PublicKey.Base64), "user ID");
    }
}
