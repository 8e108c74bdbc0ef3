using System.Globalization;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests.Security;

/// <summary>
/// The Unix socket as a local user meets it: created 0660 in the configured group by default; a member of that group
/// whom no access rule names is refused by the daemon (and audited); a user outside the group cannot even connect.
/// The other users are real: the CLI runs under setpriv with their uid and gid.
/// </summary>
public sealed class LocalPeerTests : IAsyncLifetime
{
    private const uint Nobody = 65534;
    private const uint Stranger = 40001;
    private readonly DaemonProcess _d = DaemonProcess.Create();

    public async Task InitializeAsync()
    {
        // No socketMode: the default is what is checked.
        _d.Configure(new
        {
            listen = new { socketGroup = Nobody.ToString(CultureInfo.InvariantCulture) },
            tokens = new[] { Software(_d, "soft") },
            keys = new[] { Key("server", "soft", "srv", "server", owner: "example.org", presence: "none", version: "1") },
            access = new[] { Rule(Me, ["*"], "sign", "admin") },
        });
        await _d.StartAsync();
        using var client = _d.Client();
        await Generate(client, "soft", "srv");
    }

    public async Task DisposeAsync() => await _d.DisposeAsync();

    [Fact]
    public void The_socket_is_0660_in_its_group_by_default()
    {
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite, File.GetUnixFileMode(_d.Socket));
        Assert.Equal(Nobody.ToString(CultureInfo.InvariantCulture), Stat("%g", _d.Socket));
    }

    [Fact]
    public void A_group_member_no_rule_names_is_refused_and_audited_and_nothing_is_signed()
    {
        var payload = Path.Combine(_d.Root, "payload.json");
        File.WriteAllText(payload, "{\"from\":\"nobody\"}");
        File.SetUnixFileMode(payload, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var (exit, output) = RunCliAs(Nobody, Nobody, "--socket", _d.Socket, "sign", "--key", "server", payload);

        Assert.True(exit == 3, $"exit {exit}: {output}");
        Assert.Contains("uid:65534", output, StringComparison.Ordinal);
        Assert.DoesNotContain("signatures", output, StringComparison.Ordinal);
        var audit = ReadAudit(_d);
        Assert.Contains(audit, r => r.GetString("decision") == "permission_denied" && r.GetString("principal")!.StartsWith("uid:65534 ", StringComparison.Ordinal));
        Assert.DoesNotContain(audit, r => r.GetString("kind") == "intent" && r.GetString("principal")!.StartsWith("uid:65534 ", StringComparison.Ordinal));
    }

    [Fact]
    public void A_user_outside_the_group_cannot_connect_at_all()
    {
        var before = ReadAudit(_d).Count;
        var (exit, output) = RunCliAs(Stranger, Stranger, "--socket", _d.Socket, "keys", "list");

        // Refused by the kernel (EACCES on connect): the daemon never sees the peer, so there is no record of it.
        Assert.True(exit == 5, $"exit {exit}: {output}");
        Assert.Contains("ermission denied", output, StringComparison.Ordinal);
        var audit = ReadAudit(_d);
        Assert.Equal(before, audit.Count);
        Assert.DoesNotContain(audit, r => r.GetString("principal")?.StartsWith("uid:40001", StringComparison.Ordinal) == true);
    }

    private static string Stat(string format, string path) => ChildProcess.Run("stat", ["-c", format, path]).Output.Trim();
}
