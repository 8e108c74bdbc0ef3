using System.Globalization;
using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Protos.V1;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests.Security;

/// <summary>
/// A requester writes control and bidirectional characters into what an approver reads: a device id that would erase
/// and rewrite the approver's terminal line, a user id with a right-to-left override. Requester (uid 40111) and
/// approver (uid 65534) are real other users running the real CLI; whatever reaches a person (the requester's
/// progress, `keycustody pending`, the denial, the audit record) shows no such character raw. The signing policy
/// refuses those ids outright (identifiers the Matrix grammar forbids) and names the character by code point, never
/// echoing the id; caller text that does reach a pending request (a denial's reason) is shown as \u{XXXX}.
/// </summary>
public sealed class TerminalInjectionTests : IAsyncLifetime
{
    private const uint Alice = 40111;
    private const uint Nobody = 65534;
    private const string Erasing = "PHONE\u001b[2K\r\u001b[1A\u001b[2K";
    private readonly DaemonProcess _d = DaemonProcess.Create();
    private readonly Ed25519SoftwareKey _device = Ed25519SoftwareKey.FromSeed("terminal-injection-terminal-inje"u8);

    public async Task InitializeAsync()
    {
        _d.Configure(new
        {
            listen = new { socketMode = "0660", socketGroup = Nobody.ToString(CultureInfo.InvariantCulture) },
            tokens = new[] { Software(_d, "soft") },
            keys = new[]
            {
                Key("alice-ssk", "soft", "ssk", "self_signing", presence: "operator"),
                Key("alice-usk", "soft", "usk", "user_signing", presence: "operator"),
            },
            access = new[]
            {
                Rule(Me, ["*"], "admin"),
                Rule($"uid:{Alice}", ["alice-*"], "sign"),
                Rule($"uid:{Nobody}", ["alice-*"], "approve"),
            },
            presence = new { approvalTimeoutSeconds = 120 },
        });
        await _d.StartAsync();
        using var client = _d.Client();
        await Generate(client, "soft", "ssk");
        await Generate(client, "soft", "usk");
        await Accept(client, "alice-ssk");
        await Accept(client, "alice-usk");
    }

    public async Task DisposeAsync()
    {
        _device.Dispose();
        await _d.DisposeAsync();
    }

    [Fact]
    public async Task A_device_id_that_rewrites_the_terminal_is_shown_escaped_everywhere()
    {
        var payload = PublicFile(_d, "device.json", CanonicalJson.Encode(Identities.SignedDevice(User, Erasing, _device, null)));
        await CheckRefused(["sign", "--key", "alice-ssk", payload], "U+001B");
    }

    [Fact]
    public async Task A_right_to_left_override_in_a_user_id_is_shown_escaped_everywhere()
    {
        using var other = Ed25519SoftwareKey.Generate();
        var master = CrossSigningKey.Create("@mallory\u202egro.elpmaxe:example.org", KeyUsage.Master, other.PublicKey).Json;
        var payload = PublicFile(_d, "master.json", CanonicalJson.Encode(master));
        await CheckRefused(["cross-sign", "user", "--key", "alice-usk", payload], "U+202E");
    }

    [Fact]
    public async Task A_denial_reason_that_rewrites_the_terminal_is_shown_escaped_to_the_requester()
    {
        var payload = PublicFile(_d, "device.json", CanonicalJson.Encode(Identities.SignedDevice(User, "ALICEPHONE", _device, null)));
        var requester = Task.Run(() => RunCliAs(Alice, Nobody, ["--socket", _d.Socket, "sign", "--key", "alice-ssk", payload]));
        var pending = await WaitForPending(requester) ?? throw new InvalidOperationException("the request was not held for approval");
        var (exit, output) = RunCliAs(Nobody, Nobody, "--socket", _d.Socket, "deny", pending.RequestId, "--reason", "not \u001b[31mthis\u202e one");
        Assert.True(exit == 0, $"exit {exit}: {output}");

        var (requestExit, progress) = await requester;
        Assert.True(requestExit == 3, $"exit {requestExit}: {progress}");
        AssertShownEscaped(progress, "not \\u{1B}[31mthis\\u{202E} one");
    }

    /// <summary>The policy refuses the request before anyone is asked: what the requester reads and what the audit log
    /// keeps name the character by code point and contain neither it nor the caller's id.</summary>
    private async Task CheckRefused(string[] request, string named)
    {
        var before = ReadAudit(_d).Count;
        var (exit, progress) = RunCliAs(Alice, Nobody, ["--socket", _d.Socket, .. request]);
        Assert.True(exit == 3, $"exit {exit}: {progress}");
        AssertNothingRaw(progress);
        Assert.Contains(named, progress, StringComparison.Ordinal);

        using var client = _d.Client();
        Assert.Empty((await client.Admin.ListPendingAsync(new ListPendingRequest())).Pending);
        var said = ReadAudit(_d).Skip(before).Where(r => r.GetString("principal")?.StartsWith($"uid:{Alice} ", StringComparison.Ordinal) == true)
            .Select(r => r.GetString("intent") ?? r.GetString("reason")).OfType<string>().ToList();
        Assert.NotEmpty(said);
        Assert.All(said, AssertNothingRaw);
    }

    private static void AssertNothingRaw(string text)
    {
        Assert.DoesNotContain('\u001b', text);
        Assert.DoesNotContain('\u202e', text);
        Assert.DoesNotContain('\r', text);
    }

    private static void AssertShownEscaped(string text, string shown)
    {
        AssertNothingRaw(text);
        Assert.Contains(shown, text, StringComparison.Ordinal);
    }

    /// <summary>The pending request, or null once the requester has ended without one (refused before approval).</summary>
    private async Task<PendingRequest?> WaitForPending(Task requester)
    {
        using var client = _d.Client();
        for (var i = 0; i < 1200; i++)
        {
            var list = await client.Admin.ListPendingAsync(new ListPendingRequest());
            if (list.Pending.Count > 0)
            {
                return list.Pending[0];
            }

            if (requester.IsCompleted)
            {
                return null;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("no pending request appeared");
    }
}
