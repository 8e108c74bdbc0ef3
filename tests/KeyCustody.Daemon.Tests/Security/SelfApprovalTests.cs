using System.Globalization;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Protos.V1;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests.Security;

/// <summary>
/// Four eyes means two people. Alice (uid 40101, member of the socket's group and of a second group 40102) may sign
/// and approve on her keys; she asks for a signature with the real CLI, then tries to approve it herself after
/// switching her primary group (what `sg 40102 -c 'keycustody approve ID'` does): refused and audited, whatever her
/// group. Another person (uid 65534) approves, and only then is it signed.
/// </summary>
public sealed class SelfApprovalTests : IAsyncLifetime
{
    private const uint Alice = 40101;
    private const uint AlicesOtherGroup = 40102;
    private const uint Nobody = 65534;
    private readonly DaemonProcess _d = DaemonProcess.Create();
    private readonly Ed25519SoftwareKey _device = Ed25519SoftwareKey.FromSeed("alices-phone-alices-phone-alices"u8);

    public async Task InitializeAsync()
    {
        _d.Configure(new
        {
            listen = new { socketMode = "0660", socketGroup = Nobody.ToString(CultureInfo.InvariantCulture) },
            tokens = new[] { Software(_d, "soft") },
            keys = new[] { Key("alice-ssk", "soft", "ssk", "self_signing", presence: "operator") },
            access = new[]
            {
                Rule(Me, ["*"], "admin"),
                Rule($"uid:{Alice}", ["alice-*"], "sign", "approve"),
                Rule($"uid:{Nobody}", ["alice-*"], "approve"),
            },
            presence = new { approvalTimeoutSeconds = 120 },
        });
        await _d.StartAsync();
        using var client = _d.Client();
        await Generate(client, "soft", "ssk");
        await Accept(client, "alice-ssk");
    }

    public async Task DisposeAsync()
    {
        _device.Dispose();
        await _d.DisposeAsync();
    }

    [Fact]
    public async Task The_requester_cannot_approve_its_own_request_by_changing_its_primary_group()
    {
        var payload = PublicFile(_d, "device.json", CanonicalJson.Encode(Identities.SignedDevice(Harness.User, "ALICEPHONE", _device, null)));
        uint[] groups = [Nobody, AlicesOtherGroup];
        var request = Task.Run(() => RunCliAs(Alice, Nobody, groups, "--socket", _d.Socket, "sign", "--key", "alice-ssk", payload));
        var pending = await WaitForPending();
        Assert.StartsWith($"uid:{Alice} gid:{Nobody}", pending.Principal, StringComparison.Ordinal);

        // sg 40102 -c 'keycustody approve ID': the same person with another primary group.
        var (exit, output) = RunCliAs(Alice, AlicesOtherGroup, groups, "--socket", _d.Socket, "approve", pending.RequestId);
        Assert.True(exit == 3, $"exit {exit}: {output}");
        Assert.Contains("may not approve it too", output, StringComparison.Ordinal);
        Assert.False(request.IsCompleted, "the request must still wait for another person");
        var refusal = Assert.Single(ReadAudit(_d), r => r.GetString("operation") == "approve" && r.GetString("kind") == "decision");
        Assert.Equal("permission_denied", refusal.GetString("decision"));
        Assert.Equal($"uid:{Alice} gid:{AlicesOtherGroup}", refusal.GetString("principal"));
        Assert.Equal(pending.RequestId, refusal.GetString("request_id"));
        Assert.DoesNotContain(ReadAudit(_d), r => r.GetString("kind") == "approval");

        // Another person may.
        (exit, output) = RunCliAs(Nobody, Nobody, "--socket", _d.Socket, "approve", pending.RequestId);
        Assert.True(exit == 0, $"exit {exit}: {output}");
        var (signExit, signOutput) = await request;
        Assert.True(signExit == 0, $"exit {signExit}: {signOutput}");
        Assert.Equal($"uid:{Nobody} gid:{Nobody}", ReadAudit(_d).For(pending.RequestId).Single(r => r.GetString("kind") == "approval").GetString("approver"));
    }

    [Fact]
    public void Approving_or_denying_asks_for_the_right_before_saying_whether_the_request_exists()
    {
        const uint Stranger = 40109;
        foreach (var command in new[] { "approve", "deny" })
        {
            // A member of the socket's group with no approve right: refused as such, not told "no pending request".
            var (exit, output) = RunCliAs(Stranger, Nobody, "--socket", _d.Socket, command, "r-0000000000000000");
            Assert.True(exit == 3, $"exit {exit}: {output}");
            Assert.Contains("may not approve or deny requests", output, StringComparison.Ordinal);
            Assert.Contains(ReadAudit(_d), r => r.GetString("operation") == command && r.GetString("decision") == "permission_denied"
                && r.GetString("principal") == $"uid:{Stranger} gid:{Nobody}" && r.GetString("request_id") == "r-0000000000000000");
        }

        // One who has the right hears that there is no such request (and that is audited too).
        var (notFound, said) = RunCliAs(Nobody, Nobody, "--socket", _d.Socket, "approve", "r-0000000000000000");
        Assert.True(notFound == 2, $"exit {notFound}: {said}");
        Assert.Contains("no pending request r-0000000000000000", said, StringComparison.Ordinal);
        Assert.Contains(ReadAudit(_d), r => r.GetString("operation") == "approve" && r.GetString("decision") == "not_found");
    }

    private async Task<PendingRequest> WaitForPending()
    {
        using var client = _d.Client();
        for (var i = 0; i < 1200; i++)
        {
            var list = await client.Admin.ListPendingAsync(new ListPendingRequest());
            if (list.Pending.Count > 0)
            {
                return list.Pending[0];
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("no pending request appeared");
    }
}
