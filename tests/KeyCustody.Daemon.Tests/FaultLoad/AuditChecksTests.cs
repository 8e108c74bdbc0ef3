using Grpc.Core;
using KeyCustody.Contract.Audit;
using KeyCustody.Matrix.Json;
using Xunit;

namespace KeyCustody.Daemon.Tests.FaultLoad;

/// <summary>
/// The fault run's audit checker on hand-made logs. A call the client gave up ends on the client's side at once, while
/// the daemon still holds the request: a kill after that end but before the daemon recorded the outcome (or the intent)
/// is the daemon's honest "interrupted", not a defect; the checker once called it one (seed 33149). A call the client
/// followed to its end, though, was only interrupted by a kill during it.
/// </summary>
public sealed class AuditChecksTests : IDisposable
{
    private const string Me = "uid:1000";
    private static readonly DateTime T0 = new(2026, 12, 4, 23, 0, 0, DateTimeKind.Utc);
    private readonly string _dir = Directory.CreateTempSubdirectory("keycustody-auditchecks-").FullName;

    /// <summary>The request stayed open in the daemon after its client cancelled; the next start found it open.</summary>
    private static readonly JsonObject[] InterruptedAfterTheKill =
    [
        Start(),
        JsonObject.Of(("kind", "intent"), ("request_id", "r-1"), ("principal", Me + " (pid 1)"), ("key", "alice-ssk")),
        Start("r-1"),
        JsonObject.Of(("kind", "outcome"), ("request_id", "r-1"), ("key", "alice-ssk"), ("outcome", "interrupted")),
    ];

    [Theory]
    [InlineData(StatusCode.Cancelled)]
    [InlineData(StatusCode.DeadlineExceeded)]
    public void A_call_given_up_before_a_kill_may_be_recorded_interrupted(StatusCode status)
    {
        var violations = Check(InterruptedAfterTheKill, Call(CallKind.Cancel, status, endedAt: 1), KillAt(2));
        Assert.Empty(violations);
    }

    [Fact]
    public void A_call_given_up_before_a_kill_may_have_no_intent()
    {
        var violations = Check([Start(), Start()], Call(CallKind.Disconnect, StatusCode.Cancelled, endedAt: 1), KillAt(2));
        Assert.Empty(violations);
    }

    [Fact]
    public void A_call_followed_to_its_end_before_any_kill_is_never_interrupted()
    {
        var violations = Check(InterruptedAfterTheKill, Call(CallKind.Normal, StatusCode.FailedPrecondition, endedAt: 1), KillAt(2));
        Assert.Contains(violations, v => v.Contains("is recorded interrupted, but no kill happened during the call", StringComparison.Ordinal));
    }

    [Fact]
    public void A_call_given_up_with_no_kill_after_it_is_still_a_violation()
    {
        var violations = Check(InterruptedAfterTheKill, Call(CallKind.Cancel, StatusCode.Cancelled, endedAt: 5, startedAt: 4), KillAt(2));
        Assert.Contains(violations, v => v.Contains("is recorded interrupted, but no kill happened during the call", StringComparison.Ordinal));
    }

    /// <summary>SIGNED goes out before the outcome's write: a kill just after it leaves the request interrupted (seed 28434).</summary>
    [Fact]
    public void A_signature_delivered_just_before_a_kill_may_be_recorded_interrupted()
    {
        var violations = Check(InterruptedAfterTheKill, Call(CallKind.Normal, StatusCode.OK, endedAt: 1, signed: true), KillAt(1));
        Assert.Empty(violations);
    }

    [Fact]
    public void A_signature_delivered_long_before_any_kill_must_be_recorded_signed()
    {
        var violations = Check(InterruptedAfterTheKill, Call(CallKind.Normal, StatusCode.OK, endedAt: 1, signed: true), KillAt(10));
        Assert.Contains(violations, v => v.Contains("the client got a signature, the audit log says interrupted", StringComparison.Ordinal));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private List<string> Check(JsonObject[] records, CallRecord call, FaultEvent kill)
    {
        var path = Path.Combine(_dir, "audit.jsonl");
        using (var file = File.Create(path))
        {
            var prev = AuditChain.Genesis;
            for (var i = 0; i < records.Length; i++)
            {
                var (line, hash) = AuditChain.Seal(records[i], i + 1, prev);
                file.Write(line);
                file.WriteByte((byte)'\n');
                prev = hash;
            }
        }

        var violations = new List<string>();
        AuditChecks.Check(path, [call], [kill], records.Count(r => r.GetString("kind") == "start"), Me, violations.Add);
        return violations;
    }

    private static JsonObject Start(params string[] interrupted) =>
        JsonObject.Of(("kind", "start"), ("interrupted", new JsonArray(interrupted.Select(id => (JsonValue)id).ToArray())));

    private static CallRecord Call(CallKind kind, StatusCode status, int endedAt, int startedAt = 0, bool signed = false) =>
        new(0, "alice-ssk", kind, "r-1", status, signed, status.ToString(), T0.AddSeconds(startedAt), T0.AddSeconds(endedAt));

    private static FaultEvent KillAt(int second) => new(FaultKind.DaemonKilled, "keycustodyd", T0.AddSeconds(second), T0.AddSeconds(second + 1));
}
