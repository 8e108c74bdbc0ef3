using System.Text;
using KeyCustody.Contract.Audit;
using KeyCustody.Daemon;
using KeyCustody.Daemon.Audit;
using KeyCustody.Daemon.Presence;
using KeyCustody.Daemon.Requests;
using KeyCustody.Daemon.Security;
using KeyCustody.Daemon.Signing;
using KeyCustody.Matrix.Json;
using KeyCustody.Tokens;
using Microsoft.Extensions.Logging.Abstractions;

namespace KeyCustody.Fuzz.Pipeline;

/// <summary>
/// One signing request per input through <see cref="SigningPipeline.RunAsync"/>. It may only fail with
/// <see cref="DaemonException"/>, <see cref="TokenException"/> or <see cref="OperationCanceledException"/>;
/// afterwards the audit chain must verify and every intent must have its outcome.
/// </summary>
/// <remarks>
/// Input: byte 0 chooses the key (bits 0-2: <see cref="PipelineWorld.KeyNames"/>, 5-7 a name read from the
/// input up to a 00 byte), the operation (bits 3-4), a caller without rights (bit 5), a caller who cancels
/// once the request is accepted (bit 6) and an operator who denies instead of approving (bit 7). The rest,
/// split at FF bytes (never in UTF-8), are the JSON payloads.
/// </remarks>
public static class PipelineTarget
{
    private static readonly Lazy<PipelineWorld> World = new(CreateWorld);
    private static readonly Principal Caller = Principal.FromPeer(1000, 1000, 1000);
    private static readonly Principal Stranger = Principal.FromPeer(4242, 4242, 4242);
    private static readonly Principal Operator = Principal.FromPeer(1001, 1001, 1001);
    private static int _inputs;

    public static void Run(byte[] input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Length == 0)
        {
            return;
        }

        var world = World.Value;
        var choice = input[0];
        var at = 1;
        string keyName;
        if ((choice & 7) < PipelineWorld.KeyNames.Length)
        {
            keyName = PipelineWorld.KeyNames[choice & 7];
        }
        else
        {
            var end = Array.IndexOf(input, (byte)0, at);
            end = end < 0 ? input.Length : end;
            keyName = Encoding.UTF8.GetString(input, at, end - at);
            at = Math.Min(end + 1, input.Length);
        }

        var operation = (SignOperation)((choice >> 3) & 3);
        var payloads = Split(input.AsMemory(at));
        var dir = Directory.CreateDirectory(Path.Combine(world.Root, "inputs", Interlocked.Increment(ref _inputs).ToString())).FullName;
        try
        {
            var auditPath = Path.Combine(dir, "audit.jsonl");
            using (var audit = AuditLog.Open(auditPath))
            {
                Request(world, audit, new IdentityStore(dir), keyName, operation, payloads, choice);
            }

            CheckAudit(auditPath);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void Request(PipelineWorld world, AuditLog audit, IdentityStore identities, string keyName, SignOperation operation, List<ReadOnlyMemory<byte>> payloads, byte choice)
    {
        var broker = new ApprovalBroker(world.Config.Access, approverMustDiffer: true, TimeProvider.System);
        var stages = new OperationStages(audit, broker, TimeProvider.System);
        var pipeline = new SigningPipeline(world.Keys, world.Config.Access, stages, identities, world.Config, NullLogger<SigningPipeline>.Instance);
        using var cancel = new CancellationTokenSource();
        Task? decision = null;
        Task Emit(RequestEvent e)
        {
            if (e is Accepted && (choice & 0x40) != 0)
            {
                cancel.Cancel();
            }

            if (e is PresenceRequired { Method: PresenceMethod.Operator } p)
            {
                decision = Task.Run(() => Decide(broker, p.RequestId, approve: (choice & 0x80) == 0));
            }

            return Task.CompletedTask;
        }

        try
        {
            var result = pipeline.RunAsync(new SignRequest((choice & 0x20) != 0 ? Stranger : Caller, keyName, payloads, operation), Emit, cancel.Token).GetAwaiter().GetResult();
            if (result.Signed.Count != payloads.Count)
            {
                throw new FuzzFailure($"{payloads.Count} payload(s) but {result.Signed.Count} signed object(s)");
            }

            Trace($"signed {result.Signed.Count} object(s) with {keyName}");
        }
        catch (Exception e) when (e is DaemonException or TokenException or OperationCanceledException)
        {
            // Refused, failed on the token, or cancelled: documented outcomes.
            Trace($"{keyName}: {e.GetType().Name}: {e.Message}");
        }

        decision?.GetAwaiter().GetResult();
    }

    /// <summary>The operator: waits for the request to be listed, then approves or denies it.</summary>
    private static async Task Decide(ApprovalBroker broker, string requestId, bool approve)
    {
        for (var i = 0; i < 2000; i++)
        {
            if (broker.Pending.Any(p => p.RequestId == requestId))
            {
                try
                {
                    if (approve)
                    {
                        broker.Approve(requestId, Operator);
                    }
                    else
                    {
                        broker.Deny(requestId, Operator, "fuzz operator says no");
                    }
                }
                catch (DaemonException)
                {
                    // The request went away meanwhile (cancelled): nothing left to decide.
                }

                return;
            }

            await Task.Delay(1).ConfigureAwait(false);
        }
    }

    /// <summary>The chain verifies, and every request that recorded an intent recorded its outcome.</summary>
    private static void CheckAudit(string path)
    {
        using var stream = File.OpenRead(path);
        var check = AuditChain.Verify(stream);
        if (!check.Valid)
        {
            throw new FuzzFailure($"audit chain broken at line {check.BrokenLine}: {check.Problem}");
        }

        stream.Position = 0;
        var records = AuditChain.ReadLines(stream, out var torn).Select(line => CanonicalJson.ParseObject(line)).ToList();
        if (torn)
        {
            throw new FuzzFailure("the audit log ends in a torn line");
        }

        string? Field(JsonObject r, string name) => r[name] is JsonString s ? s.Value : null;
        var intents = records.Where(r => Field(r, "kind") == "intent").Select(r => Field(r, "request_id")).ToHashSet();
        var outcomes = records.Where(r => Field(r, "kind") == "outcome").Select(r => Field(r, "request_id")).ToHashSet();
        if (!intents.SetEquals(outcomes))
        {
            throw new FuzzFailure($"intents [{string.Join(", ", intents)}] but outcomes [{string.Join(", ", outcomes)}]");
        }
    }

    /// <summary>With KEYCUSTODY_FUZZ_VERBOSE=1, what each input led to (for checking seeds, never while fuzzing).</summary>
    private static void Trace(string what)
    {
        if (Environment.GetEnvironmentVariable("KEYCUSTODY_FUZZ_VERBOSE") == "1")
        {
            Console.Error.WriteLine(what);
        }
    }

    private static List<ReadOnlyMemory<byte>> Split(ReadOnlyMemory<byte> rest)
    {
        var payloads = new List<ReadOnlyMemory<byte>>();
        while (true)
        {
            var end = rest.Span.IndexOf((byte)0xFF);
            if (end < 0)
            {
                payloads.Add(rest);
                return payloads;
            }

            payloads.Add(rest[..end]);
            rest = rest[(end + 1)..];
        }
    }

    private static PipelineWorld CreateWorld()
    {
        var world = PipelineWorld.Create();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => world.Dispose();
        return world;
    }
}
