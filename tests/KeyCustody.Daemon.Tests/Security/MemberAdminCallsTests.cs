using System.Globalization;
using KeyCustody.Matrix.Signing;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests.Security;

/// <summary>
/// A member of the socket's group whose only right is to sign with one key, trying the admin's key decisions: each
/// refusal is on the audit log before the member hears of it, as every other admin call's is; and so is an admin's
/// decision about a key that does not exist. The member is a real other uid (the CLI under setpriv).
/// </summary>
public sealed class MemberAdminCallsTests : IAsyncLifetime
{
    private const uint Member = 65534;
    private readonly DaemonProcess _d = DaemonProcess.Create();
    private string _publicKey = string.Empty;

    public async Task InitializeAsync()
    {
        _d.Configure(new
        {
            listen = new { socketGroup = Member.ToString(CultureInfo.InvariantCulture) },
            tokens = new[] { Software(_d, "soft") },
            keys = new[] { Key("server", "soft", "srv", "server", owner: "example.org", presence: "none", version: "1") },
            access = new[] { Rule(Me, ["*"], "sign", "admin"), Rule("uid:" + Member.ToString(CultureInfo.InvariantCulture), ["server"], "sign") },
        });
        await _d.StartAsync();
        using var client = _d.Client();
        _publicKey = await Generate(client, "soft", "srv");
    }

    public async Task DisposeAsync() => await _d.DisposeAsync();

    [Theory]
    [InlineData("accept", "accept_key")]
    [InlineData("reject", "reject_key")]
    public void A_members_key_decision_is_refused_and_audited(string verb, string operation)
    {
        var (exit, output) = RunCliAs(Member, Member, "--socket", _d.Socket, "keys", verb, "server", "--public-key", _publicKey, "--reason", "I say so");

        Assert.True(exit != 0, output);
        Assert.Contains("needs the admin right", output, StringComparison.Ordinal);
        var refusal = Assert.Single(ReadAudit(_d), r => r.GetString("operation") == operation);
        Assert.Equal(("decision", "permission_denied"), (refusal.GetString("kind"), refusal.GetString("decision")));
        Assert.StartsWith("uid:65534 ", refusal.GetString("principal"), StringComparison.Ordinal);
        Assert.Equal(("server", _publicKey, "I say so"), (refusal.GetString("key"), refusal.GetString("public_key"), refusal.GetString("admin_reason")));
    }

    [Fact]
    public void An_admins_decision_about_an_unknown_key_is_refused_and_audited()
    {
        using var other = Ed25519SoftwareKey.Generate();
        var (exit, output) = ChildProcess.Run("dotnet", [Binaries.Cli, "--socket", _d.Socket, "keys", "reject", "no-such-key", "--public-key", other.PublicKey.Base64, "--reason", "typo"]);

        Assert.True(exit != 0, output);
        var refusal = Assert.Single(ReadAudit(_d), r => r.GetString("operation") == "reject_key");
        Assert.Equal(("decision", "not_found"), (refusal.GetString("kind"), refusal.GetString("decision")));
        Assert.Equal("no-such-key", refusal.GetString("key"));
    }
}
