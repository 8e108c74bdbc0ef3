using System.Text;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// A state file that cannot be read (a disk error, a bad restore, a hand edit) stops the real daemon at start with exit 2
/// and one line naming the file, what is wrong (line and column for JSON) and what to do; it used to end with exit 1 and
/// a stack trace. The broken file is left as it is: never recreated, so a lost pin cannot let another key be pinned.
/// </summary>
public sealed class CorruptStateTests(CorruptStateTests.UsedState state) : IClassFixture<CorruptStateTests.UsedState>
{
    [Fact]
    public void A_pin_file_that_is_not_json_names_its_line_and_column_and_is_not_recreated() =>
        Refused("pins.json", "{\n  \"alice-master\": \"AAAA\",\n  oops\n}\n",
            "is not valid JSON: line 3, column 3: unexpected 'o': expected a string key; it holds the public key each key was first seen with: restore it from a backup");

    [Fact]
    public void A_pin_that_is_not_a_public_key_is_refused_not_replaced_by_the_key_on_the_token() =>
        Refused("pins.json", "{\"alice-master\":5}", "is not what keycustodyd wrote: the pin of 'alice-master' is not a string; it holds the public key each key was first seen with");

    [Fact]
    public void An_identity_file_cut_short_names_where_it_ends() =>
        Refused(Path.Combine("identities", Path.GetFileName(state.IdentityFile)), "{\"master_key\":{\"keys\":",
            "is not valid JSON: line 1, column 23: unexpected end of input: expected a value; it holds a user's cross-signing key objects");

    [Fact]
    public void A_provenance_file_that_is_not_an_object_is_refused() =>
        Refused("provenance.json", "[]\n", "is not valid JSON: line 1, column 1: expected a JSON object at the top level; restore it from a backup, or remove it");

    [Fact]
    public void An_unreadable_audit_anchor_is_refused_as_a_gap_to_accept()
    {
        var (exit, stderr) = RunOn("audit-anchor.json", new string('x', 256));
        Assert.True(exit == 2, $"exit {exit}:\n{stderr}");
        var error = Assert.Single(stderr.Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains(Path.Combine(state.Daemon.StateDirectory, "audit-anchor.json") + " holds no readable head", error, StringComparison.Ordinal);
        Assert.Contains("--accept-audit-gap", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    private void Refused(string file, string content, string expected)
    {
        var (exit, stderr) = RunOn(file, content);
        var path = Path.Combine(state.Daemon.StateDirectory, file);
        Assert.True(exit == 2, $"exit {exit}:\n{stderr}");
        var error = Assert.Single(stderr.Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.StartsWith($"error: state file {path} ", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    /// <summary>Breaks one file, runs the daemon to its end, checks the file was left alone, and puts it back.</summary>
    private (int Exit, string Stderr) RunOn(string file, string content)
    {
        var path = Path.Combine(state.Daemon.StateDirectory, file);
        var original = File.ReadAllBytes(path);
        var broken = Encoding.UTF8.GetBytes(content);
        File.WriteAllBytes(path, broken);
        try
        {
            var (exit, _, stderr) = state.Daemon.RunToEnd("--config", state.Daemon.ConfigFile);
            Assert.Equal(broken, File.ReadAllBytes(path));
            return (exit, stderr);
        }
        finally
        {
            File.WriteAllBytes(path, original);
        }
    }

    /// <summary>A state directory a daemon has used: demo keys pinned, their identity signed, provenance recorded, the audit anchored.</summary>
    public sealed class UsedState : IAsyncLifetime
    {
        internal DaemonProcess Daemon { get; } = DaemonProcess.Create();

        public string IdentityFile { get; private set; } = string.Empty;

        public async Task InitializeAsync()
        {
            var d = Daemon;
            d.Configure(new
            {
                tokens = new object[]
                {
                    new
                    {
                        name = "yk", kind = "simulator", serial = 43100001u, touch = "auto", touchDelayMs = 20, demoKeys = true, stateFile = Path.Combine(d.Root, "yk.card.json"),
                        pin = new { file = SecretFile(d, "yk.pin", "123456") }, managementKey = new { file = SecretFile(d, "yk.mgm", "010203040506070801020304050607080102030405060708") },
                    },
                },
                keys = new[] { Key("alice-master", "yk", "9c", "master"), Key("alice-ssk", "yk", "9a", "self_signing"), Key("alice-usk", "yk", "9d", "user_signing") },
                access = new[] { Rule(Me, ["*"], "sign", "admin") },
            });
            await d.StartAsync();
            await d.StopAsync();
            IdentityFile = Assert.Single(Directory.GetFiles(Path.Combine(d.StateDirectory, "identities"), "*.json"));
            foreach (var file in new[] { "pins.json", "provenance.json", "audit-anchor.json" })
            {
                Assert.True(File.Exists(Path.Combine(d.StateDirectory, file)), file + " was not written");
            }
        }

        public async Task DisposeAsync() => await Daemon.DisposeAsync();
    }
}
