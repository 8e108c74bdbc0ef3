using Google.Protobuf;
using Grpc.Core;
using KeyCustody.Matrix.Json;
using KeyCustody.Protos.V1;

namespace KeyCustody.Daemon.Tests.FaultLoad;

/// <summary>
/// The callers of a fault run, each on its own connection, each following every stream to its end before it
/// sends the next request: entitled signers over the Unix socket (some calls cancelled or cut off by closing the
/// connection), a TLS client whose rule covers one key but who asks for all of them, a caller who sends what the
/// policy refuses, and an operator (TLS) approving the operator key's requests.
/// </summary>
internal sealed class LoadClients(FaultRig rig, CallLedger ledger, FaultOptions options)
{
    private static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(60);
    private int _cancels;
    private int _disconnects;
    private int _approvals;

    public int Cancels => _cancels;

    public int Disconnects => _disconnects;

    public int Approvals => _approvals;

    /// <summary>Runs every client until <paramref name="stop"/> is set; each then finishes the call it is in (stopping cancels nothing).</summary>
    public Task RunAsync(StopFlag stop)
    {
        var tasks = new List<Task>();
        for (var c = 0; c < options.Signers; c++)
        {
            var id = c;
            tasks.Add(Task.Run(() => SignerAsync(id, stop)));
        }

        tasks.Add(Task.Run(() => RestrictedAsync(options.Signers, stop)));
        tasks.Add(Task.Run(() => RefusedAsync(options.Signers + 1, stop)));
        tasks.Add(Task.Run(() => OperatorAsync(stop)));
        return Task.WhenAll(tasks);
    }

    private async Task SignerAsync(int id, StopFlag stop)
    {
        var random = new Random(options.Seed * 1000 + id);
        using var payloads = new Payloads(id);
        var client = rig.Daemon.Client();
        try
        {
            while (!stop.IsSet)
            {
                var key = FaultRig.Keys[random.Next(FaultRig.Keys.Count)];
                var sent = payloads.Allowed(key.Name);
                var roll = random.NextDouble();
                var kind = roll < options.CancelRate ? CallKind.Cancel : roll < options.CancelRate + options.DisconnectRate ? CallKind.Disconnect : CallKind.Normal;
                var request = new SignJsonRequest { Key = key.Name, Json = ByteString.CopyFrom(Payloads.Encode(sent)) };
                var after = TimeSpan.FromMilliseconds(random.Next(0, 600));
                CallRecord record;
                switch (kind)
                {
                    case CallKind.Cancel:
                        {
                            Interlocked.Increment(ref _cancels);
                            using var cancel = new CancellationTokenSource(after);
                            record = await CallAsync(id, key, kind, sent, client.Custody.SignJson(request, deadline: DateTime.UtcNow + CallDeadline, cancellationToken: cancel.Token));
                            break;
                        }

                    case CallKind.Disconnect:
                        {
                            Interlocked.Increment(ref _disconnects);
                            var own = rig.Daemon.Client();
                            var call = CallAsync(id, key, kind, sent, own.Custody.SignJson(request, deadline: DateTime.UtcNow + CallDeadline));
                            await Task.WhenAny(call, Task.Delay(after));
                            own.Dispose();
                            record = await call;
                            break;
                        }

                    default:
                        record = await CallAsync(id, key, kind, sent, client.Custody.SignJson(request, deadline: DateTime.UtcNow + CallDeadline));
                        break;
                }

                if (record.Status == StatusCode.Unavailable)
                {
                    // The daemon is down or a token is away: do not spin.
                    await Task.Delay(random.Next(100, 300));
                    if (record.RequestId is null && rig.Daemon.Pid is null)
                    {
                        client.Dispose();
                        client = rig.Daemon.Client();
                    }
                }
            }
        }
        finally
        {
            client.Dispose();
        }
    }

    private async Task RestrictedAsync(int id, StopFlag stop)
    {
        var random = new Random(options.Seed * 1000 + id);
        using var payloads = new Payloads(id);
        using var certificate = rig.Tls.Client(FaultRig.LimitedSubject);
        using var client = rig.TlsClient(certificate);
        while (!stop.IsSet)
        {
            var key = FaultRig.Keys[random.Next(FaultRig.Keys.Count)];
            var sent = payloads.Allowed(key.Name);
            var kind = key.Name == "hsm-server" ? CallKind.Allowed : CallKind.Denied;
            var request = new SignJsonRequest { Key = key.Name, Json = ByteString.CopyFrom(Payloads.Encode(sent)) };
            var record = await CallAsync(id, key, kind, sent, client.Custody.SignJson(request, deadline: DateTime.UtcNow + CallDeadline));
            if (kind == CallKind.Denied && record.Status is not (StatusCode.PermissionDenied or StatusCode.Unavailable))
            {
                ledger.Violation($"restricted client on {key.Name}: expected PERMISSION_DENIED, got {record.Status} ({record.Detail})");
            }

            await Task.Delay(random.Next(20, 120));
        }
    }

    private async Task RefusedAsync(int id, StopFlag stop)
    {
        var random = new Random(options.Seed * 1000 + id);
        using var payloads = new Payloads(id);
        using var client = rig.Daemon.Client();
        while (!stop.IsSet)
        {
            var (keyName, json, why) = payloads.Refused(random.Next(7));
            var key = FaultRig.Keys.Single(k => k.Name == keyName);
            var request = new SignJsonRequest { Key = key.Name, Json = ByteString.CopyFrom(json) };
            var record = await CallAsync(id, key, CallKind.Refused, null, client.Custody.SignJson(request, deadline: DateTime.UtcNow + CallDeadline));
            if (record.Status is not (StatusCode.FailedPrecondition or StatusCode.InvalidArgument or StatusCode.Unavailable))
            {
                ledger.Violation($"refused payload ({why}) on {key.Name}: expected FAILED_PRECONDITION or INVALID_ARGUMENT, got {record.Status} ({record.Detail})");
            }

            if (record.RequestId is not null)
            {
                ledger.Violation($"refused payload ({why}) on {key.Name} was accepted as {record.RequestId}: the policy must refuse before any intent");
            }

            await Task.Delay(random.Next(20, 120));
        }
    }

    /// <summary>The operator approves what waits for it (the operator key's requests), a few it denies.</summary>
    private async Task OperatorAsync(StopFlag stop)
    {
        var random = new Random(options.Seed * 1000 + 999);
        using var certificate = rig.Tls.Client(FaultRig.OperatorSubject);
        using var client = rig.TlsClient(certificate);
        while (!stop.IsSet)
        {
            try
            {
                var pending = await client.Admin.ListPendingAsync(new ListPendingRequest(), deadline: DateTime.UtcNow.AddSeconds(20));
                foreach (var p in pending.Pending)
                {
                    if (random.NextDouble() < 0.05)
                    {
                        await client.Admin.DenyAsync(new DenyRequest { RequestId = p.RequestId, Reason = "fault run: denied at random" }, deadline: DateTime.UtcNow.AddSeconds(20));
                    }
                    else
                    {
                        await client.Admin.ApproveAsync(new ApproveRequest { RequestId = p.RequestId }, deadline: DateTime.UtcNow.AddSeconds(20));
                        Interlocked.Increment(ref _approvals);
                    }
                }
            }
            catch (RpcException)
            {
                // The daemon is down, or the request went away meanwhile (cancelled, timed out).
            }

            await Task.Delay(random.Next(100, 400));
        }
    }

    /// <summary>Follows one stream to its end and records it; a signature is checked on the spot.</summary>
    private async Task<CallRecord> CallAsync(int client, RigKey key, CallKind kind, JsonObject? sent, AsyncServerStreamingCall<SignEvent> call)
    {
        var started = DateTime.UtcNow;
        string? requestId = null;
        Signed? signed = null;
        StatusCode? status = null;
        string? detail = null;
        try
        {
            using (call)
            {
                await foreach (var e in call.ResponseStream.ReadAllAsync())
                {
                    if (e.EventCase == SignEvent.EventOneofCase.Accepted)
                    {
                        requestId = e.Accepted.RequestId;
                    }
                    else if (e.EventCase == SignEvent.EventOneofCase.Signed)
                    {
                        signed = e.Signed;
                    }
                }
            }
        }
        catch (RpcException e)
        {
            status = e.StatusCode;
            detail = e.Status.Detail;
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or IOException)
        {
            status = StatusCode.Cancelled;
            detail = e.GetType().Name;
        }

        if (signed is not null)
        {
            if (requestId is null || signed.RequestId != requestId)
            {
                ledger.Violation($"{key.Name}: SIGNED for request {signed.RequestId} after ACCEPTED {requestId}");
            }

            if (kind is CallKind.Denied or CallKind.Refused)
            {
                ledger.Violation($"{kind} call on {key.Name} got a signature (request {signed.RequestId})");
            }
            else if (signed.SignedJson.Count != 1)
            {
                ledger.Violation($"{key.Name}: {signed.SignedJson.Count} signed documents for one object");
            }
            else
            {
                var bytes = signed.SignedJson[0].ToByteArray();
                var problem = SignatureCheck.Problem(key, rig.PublicKeys[key.Name], sent!, bytes, signed.KeyId);
                if (problem is null)
                {
                    ledger.CountVerified(key.Name);
                    ledger.Sample(key.Name, bytes, options.PythonSamplePerKey);
                }
                else
                {
                    ledger.Violation($"{key.Name}, request {signed.RequestId}: {problem}");
                }
            }
        }
        else if (status is null)
        {
            ledger.Violation($"{key.Name}: the stream ended without SIGNED or an error (request {requestId})");
        }

        var record = new CallRecord(client, key.Name, kind, requestId, status, signed is not null, detail, started, DateTime.UtcNow);
        ledger.Add(record);
        return record;
    }
}

/// <summary>Set once to ask the clients to stop after their current call; unlike a cancellation token it cancels no call.</summary>
internal sealed class StopFlag
{
    private volatile bool _set;

    public bool IsSet => _set;

    public void Set() => _set = true;
}
