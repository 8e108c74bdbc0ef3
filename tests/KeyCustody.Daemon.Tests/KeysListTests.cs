using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests;

/// <summary>`keycustody keys list` as a person reads it.</summary>
public sealed class KeysListTests
{
    /// <summary>A software token's serial already says "software:DIR": it was printed "software:software:DIR".</summary>
    [Fact]
    public async Task A_software_token_is_shown_once_and_an_empty_key_with_dashes()
    {
        await using var d = DaemonProcess.Create();
        d.Configure(new
        {
            tokens = new[] { Software(d, "soft") },
            keys = new[] { Key("srv", "soft", "srv", "server", owner: "example.org", presence: "none", version: "1"), Key("later", "soft", "later", "server", owner: "example.org", presence: "none", version: "2") },
            access = new[] { Rule(Me, ["*"], "sign", "admin") },
        });
        await d.StartAsync();
        using (var client = d.Client())
        {
            await Generate(client, "soft", "srv");
        }

        var (exit, output) = ChildProcess.Run("dotnet", [Binaries.Cli, "--socket", d.Socket, "keys", "list"]);
        Assert.True(exit == 0, output);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var dir = Path.Combine(d.Root, "soft");
        Assert.DoesNotContain("software:software:", output, StringComparison.Ordinal);
        Assert.Equal(["later", "server", "example.org", "-", $"software:{dir}", "presence=none", "pin=-", "touch=-", "sign,admin", "provenance=unknown,none", "trusted"], lines[0].Split('\t'));
        Assert.Equal($"software:{dir}", lines[1].Split('\t')[4]);
    }
}
