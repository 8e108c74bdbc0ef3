using System.Diagnostics;
using Grpc.Core;
using KeyCustody.Contract.Audit;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Protos.V1;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests;

/// <summary>Touch timeouts, the queue (position, bound, cancellation) and a SIGKILL mid-stream, on a simulated card nobody touches.</summary>
public sealed class PresenceTests : IAsyncLifetime
{
    private readonly DaemonProcess _d = DaemonProcess.Create();
    private readonly Ed25519SoftwareKey _device = Ed25519SoftwareKey.FromSeed("bobs-tablet-bobs-tablet-bobs-tab"u8);

    /// <summary>The card answers 69 82 (touch timeout) after the simulator's longest wait: within any one test, never.</summary>
    private const int NeverWithinATest = 600_000;

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>The daemon with one simulated card nobody touches, which gives up after <paramref name="touchTimeoutMs"/>.</summary>
    private async Task StartAsync(int touchTimeoutMs)
    {
        _d.Configure(new
        {
            tokens = new[] { Simulator(_d, "untouched", 20000002, touch: "never", touchTimeoutMs: touchTimeoutMs) },
            keys = new[] { Key("ssk", "untouched", "9a", "self_signing") },
            access = new[] { Rule(Me, ["*"], "sign", "approve", "admin") },
            limits = new { maxQueuePerToken = 1 },
        });
        await _d.StartAsync();
    }

    public async Task DisposeAsync()
    {
        _device.Dispose();
        await _d.DisposeAsync();
    }

    private SignJsonRequest Request() => SignRequest("ssk", Identities.SignedDevice(User, "TABLET", _device, null));

    [Fact]
    public async Task A_touch_that_never_comes_is_its_own_error()
    {
        await StartAsync(touchTimeoutMs: 2_000);
        using var client = _d.Client();
        var (events, error) = await Collect(client.Custody.SignJson(Request()));
        Assert.Equal([SignEvent.EventOneofCase.Accepted, SignEvent.EventOneofCase.PresenceRequired], events.Select(e => e.EventCase));
        Assert.Equal(StatusCode.DeadlineExceeded, error!.StatusCode);
        Assert.Contains("waited for a touch", error.Status.Detail, StringComparison.Ordinal);
        var outcome = ReadAudit(_d).For(events[0].Accepted.RequestId).Last();
        Assert.Equal("touchtimeout", outcome.GetString("outcome"));
    }

    [Fact]
    public async Task The_queue_reports_positions_refuses_when_full_and_drops_cancelled_waiters()
    {
        // The first request holds the card for as long as the test needs it, however slow the machine: the queue's
        // state below never depends on a touch timeout still being ahead.
        await StartAsync(NeverWithinATest);
        using var client = _d.Client();

        // The first holds the card, waiting for a touch that never comes (its PRESENCE_REQUIRED says it is there).
        using var cancelFirst = new CancellationTokenSource();
        var firstEvents = new List<SignEvent>();
        var first = Task.Run(async () =>
        {
            using var call = client.Custody.SignJson(Request(), cancellationToken: cancelFirst.Token);
            try
            {
                await foreach (var e in call.ResponseStream.ReadAllAsync(cancelFirst.Token))
                {
                    lock (firstEvents)
                    {
                        firstEvents.Add(e);
                    }
                }

                return (RpcException?)null;
            }
            catch (RpcException e)
            {
                return e;
            }
            catch (OperationCanceledException)
            {
                return new RpcException(new Status(StatusCode.Cancelled, "cancelled by the test"));
            }
        });
        await WaitFor(() => { lock (firstEvents) { return firstEvents.Any(e => e.EventCase == SignEvent.EventOneofCase.PresenceRequired); } });

        // The second waits behind the first: it is told its position, then its caller gives up.
        using var cancel = new CancellationTokenSource();
        var secondEvents = new List<SignEvent>();
        var second = Task.Run(async () =>
        {
            using var call = client.Custody.SignJson(Request(), cancellationToken: cancel.Token);
            try
            {
                await foreach (var e in call.ResponseStream.ReadAllAsync(cancel.Token))
                {
                    lock (secondEvents)
                    {
                        secondEvents.Add(e);
                    }
                }
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled)
            {
            }
            catch (OperationCanceledException)
            {
            }
        });
        await WaitFor(() => { lock (secondEvents) { return secondEvents.Any(e => e.EventCase == SignEvent.EventOneofCase.Queued); } });
        Assert.Equal(1, secondEvents.Single(e => e.EventCase == SignEvent.EventOneofCase.Queued).Queued.Position);

        // The queue holds one waiter: a third request is refused at once.
        var (_, third) = await Collect(client.Custody.SignJson(Request()));
        Assert.Equal(StatusCode.ResourceExhausted, third!.StatusCode);

        await cancel.CancelAsync();
        await second;

        // The cancelled request left the queue without the token being asked: no touch prompt, outcome "cancelled".
        var secondId = secondEvents[0].Accepted.RequestId;
        Assert.DoesNotContain(secondEvents, e => e.EventCase == SignEvent.EventOneofCase.PresenceRequired);
        await WaitFor(() => ReadAudit(_d).For(secondId).Count == 2);
        Assert.Equal("cancelled", ReadAudit(_d).For(secondId).Last().GetString("outcome"));

        // The first was at the card all along: its caller gives up too. The card itself still waits (a command at the
        // card cannot be cancelled), so the daemon is stopped without waiting for it.
        await cancelFirst.CancelAsync();
        Assert.Equal(StatusCode.Cancelled, (await first)!.StatusCode);
        Assert.DoesNotContain(firstEvents, e => e.EventCase == SignEvent.EventOneofCase.Signed);
        _d.Kill();
    }

    [Fact]
    public async Task Sigkill_mid_stream_leaves_a_verifiable_chain_with_the_request_interrupted()
    {
        // The request is still waiting for its touch when the kill comes, however long the test takes to see its intent.
        await StartAsync(NeverWithinATest);
        using (var client = _d.Client())
        {
            var pending = Collect(client.Custody.SignJson(Request()));
            await WaitFor(() => ReadAudit(_d).Any(r => r.GetString("kind") == "intent"));
            _d.Kill();
            var (_, error) = await pending;
            Assert.Equal(StatusCode.Unavailable, error!.StatusCode);
        }

        var requestId = ReadAudit(_d).Last(r => r.GetString("kind") == "intent").GetString("request_id")!;
        Assert.Single(ReadAudit(_d).For(requestId));

        await _d.StartAsync();
        using var stream = File.OpenRead(_d.AuditLog);
        Assert.True(AuditChain.Verify(stream).Valid);
        var records = ReadAudit(_d).For(requestId);
        Assert.Equal(["intent", "outcome"], records.Select(r => r.GetString("kind")));
        Assert.Equal("interrupted", records[1].GetString("outcome"));
        Assert.StartsWith("outcome unknown: ", records[1].GetString("error"), StringComparison.Ordinal);
        var start = ReadAudit(_d).Last(r => r.GetString("kind") == "start");
        Assert.Contains(new JsonString(requestId), (JsonArray)start["interrupted"]!);
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > TimeSpan.FromSeconds(120))
            {
                throw new TimeoutException("condition not met in 120 s");
            }

            await Task.Delay(20);
        }
    }
}
