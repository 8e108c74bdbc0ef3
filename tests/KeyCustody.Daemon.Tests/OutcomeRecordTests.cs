using KeyCustody.Contract.Audit;
using KeyCustody.Daemon.Hosting;
using KeyCustody.Daemon.Tests.Systemd;
using KeyCustody.Matrix.Json;
using KeyCustody.Protos.V1;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// SIGNED goes to the caller before the signature's outcome record is on disk (docs/architecture.md, "The outcome
/// record"): the intent is. A machine that dies in between leaves the request recorded at the next start as interrupted,
/// outcome unknown, never missing. The audit log is on a real disk that is frozen once the intent is on it; a copy of
/// that disk taken then is what the machine finds after losing power.
/// </summary>
public sealed class OutcomeRecordTests
{
    private const uint Serial = 4_600_001;

    [Fact]
    public async Task A_crash_after_SIGNED_and_before_the_outcome_is_on_disk_is_recovered_as_interrupted()
    {
        await using var d = DaemonProcess.Create();
        var mount = Path.Combine(d.Root, "auditdisk");
        Directory.CreateDirectory(mount);
        using var disk = new FrozenDisk(mount, Path.Combine(d.Root, "audit.img"));
        var auditPath = Path.Combine(mount, "audit.jsonl");
        d.Configure(new
        {
            tokens = new[] { Simulator(d, "yk", Serial, touch: "manual", touchTimeoutMs: 120_000, demoKeys: false) },
            keys = new[] { Key("srv", "yk", "9a", "server", owner: "example.org", version: "1") },
            access = new[] { Rule(Me, ["*"], "sign", "admin") },
            audit = new { path = auditPath },
        });
        string requestId;
        try
        {
            await d.StartAsync();
            using var client = d.Client();
            await Generate(client, "yk", "9a", pin: "never", touch: "always");
            using var call = client.Custody.SignJson(SignRequest("srv", JsonObject.Of(("server_name", "example.org"))));
            using var backstop = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            Assert.True(await call.ResponseStream.MoveNext(backstop.Token));
            requestId = call.ResponseStream.Current.Accepted.RequestId;
            Assert.True(await call.ResponseStream.MoveNext(backstop.Token));
            Assert.Equal(SignEvent.EventOneofCase.PresenceRequired, call.ResponseStream.Current.EventCase);

            // The intent is on disk (PRESENCE_REQUIRED follows it); from here on nothing more reaches the disk.
            disk.Freeze();
            var crashed = Path.Combine(d.Root, "audit-at-crash.img");
            disk.Snapshot(crashed);
            Touch(Path.Combine(d.StateDirectory, SimulatorControl.FileName));

            // The caller has its signature while the outcome record cannot be written.
            Assert.True(await call.ResponseStream.MoveNext(backstop.Token));
            Assert.Equal(SignEvent.EventOneofCase.Signed, call.ResponseStream.Current.EventCase);
            Assert.Single(call.ResponseStream.Current.Signed.SignedJson);

            // The machine dies: the daemon is killed while its outcome write waits, and the disk comes back as it was.
            d.KillNow();
            disk.Thaw();
            await d.WaitForExitAsync();
            disk.Restore(crashed);
        }
        finally
        {
            disk.Thaw();
            d.Kill();
        }

        Assert.Equal([AuditKinds.Intent], Records(auditPath).For(requestId).Select(r => r.GetString("kind")));
        await d.StartAsync();
        await d.StopAsync();
        var records = Records(auditPath).For(requestId);
        Assert.Equal([AuditKinds.Intent, AuditKinds.Outcome], records.Select(r => r.GetString("kind")));
        Assert.Equal("interrupted", records[1].GetString("outcome"));
        Assert.StartsWith("outcome unknown: ", records[1].GetString("error"), StringComparison.Ordinal);
    }

    /// <summary>Presses the card's button until the card was waiting for it (PRESENCE_REQUIRED comes just before it waits).</summary>
    private static void Touch(string control)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        string output;
        do
        {
            int exit;
            (exit, output) = ChildProcess.Run("dotnet", [Binaries.HwSim, "touch", "--control", control]);
            Assert.True(exit == 0, output);
        }
        while (!output.Contains($"\"touched\":[{Serial}]", StringComparison.Ordinal) && DateTime.UtcNow < deadline);
        Assert.Contains($"\"touched\":[{Serial}]", output, StringComparison.Ordinal);
    }

    /// <summary>Every record of the log at <paramref name="path"/>, after checking the whole chain.</summary>
    private static List<JsonObject> Records(string path)
    {
        using (var stream = File.OpenRead(path))
        {
            Assert.True(AuditChain.Verify(stream).Valid);
        }

        return File.ReadAllLines(path).Select(l => CanonicalJson.ParseObject(System.Text.Encoding.UTF8.GetBytes(l))).ToList();
    }
}
