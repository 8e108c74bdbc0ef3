using System.Diagnostics;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using KeyCustody.Matrix.Json;
using KeyCustody.Protos.V1;
using Xunit;
using Xunit.Abstractions;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests.Security;

/// <summary>
/// Requests built to hurt: too large (for the JSON limit and for the gRPC message limit), nested too deep (JSON and
/// protobuf), too many in a batch, a body dripped a byte at a time, headers never finished, a connection that never
/// speaks. Each is cut off, and meanwhile ordinary callers keep getting signatures. No timing is asserted: waits are
/// bounded only so a test that would hang fails instead.
/// </summary>
public sealed class RequestLimitsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly DaemonProcess _d = DaemonProcess.Create();

    public async Task InitializeAsync()
    {
        _d.Configure(new
        {
            tokens = new[] { Software(_d, "soft") },
            keys = new[] { Key("server", "soft", "srv", "server", owner: "example.org", presence: "none", version: "1") },
            access = new[] { Rule(Me, ["*"], "sign", "admin") },
            limits = new { maxJsonBytes = 4096, maxJsonDepth = 16, maxBatch = 4, idleConnectionSeconds = 5 },
        });
        await _d.StartAsync();
        using var client = _d.Client();
        await Generate(client, "soft", "srv");
    }

    public async Task DisposeAsync() => await _d.DisposeAsync();

    [Fact]
    public async Task Oversized_deeply_nested_and_overfull_requests_are_refused_while_others_keep_signing()
    {
        await using var traffic = OrdinaryTraffic.Start(_d);
        await traffic.WaitForSignaturesAsync(3);
        using var client = _d.Client();

        // Over the JSON limit but under the gRPC message limit: the strict reader refuses it.
        var big = await SignAsync(client, Encoding.UTF8.GetBytes("{\"pad\":\"" + new string('x', 10_000) + "\"}"));
        Assert.True(big.StatusCode == StatusCode.InvalidArgument, $"{big.StatusCode}: {big.Status.Detail}");

        // Over the gRPC message limit (maxJsonBytes × maxBatch + 64 KiB): refused before it is read into a request.
        var huge = await SignAsync(client, Encoding.UTF8.GetBytes("{\"pad\":\"" + new string('x', 1 << 20) + "\"}"));
        Assert.Equal(StatusCode.ResourceExhausted, huge.StatusCode);

        // 2,000 nested arrays (under the JSON size limit): refused at the depth limit, no stack overflow.
        var nested = await SignAsync(client, Encoding.UTF8.GetBytes("{\"a\":" + new string('[', 2_000) + new string(']', 2_000) + "}"));
        Assert.Equal(StatusCode.InvalidArgument, nested.StatusCode);
        Assert.Contains("deep", nested.Status.Detail, StringComparison.OrdinalIgnoreCase);

        // More objects than a batch may hold.
        var batch = new SignJsonBatchRequest { Key = "server" };
        batch.Json.AddRange(Enumerable.Range(0, 5).Select(i => ByteString.CopyFrom(CanonicalJson.Encode(JsonObject.Of(("i", (long)i))))));
        var (_, overfull) = await Collect(client.Custody.SignJsonBatch(batch));
        Assert.Equal(StatusCode.InvalidArgument, overfull!.StatusCode);

        // A protobuf request of 10,000 nested unknown groups: the parser's recursion limit refuses it.
        var groups = new MemoryStream();
        for (var i = 0; i < 10_000; i++)
        {
            groups.WriteByte((15 << 3) | 3);
        }

        for (var i = 0; i < 10_000; i++)
        {
            groups.WriteByte((15 << 3) | 4);
        }

        var raw = await RawSignJsonAsync(client, groups.ToArray());
        output.WriteLine($"nested protobuf groups: {raw.StatusCode} {raw.Status.Detail}");
        Assert.Equal(StatusCode.InvalidArgument, raw.StatusCode);
        Assert.Contains("not valid protobuf", raw.Status.Detail, StringComparison.Ordinal);

        // A truncated message (a length-delimited field that claims more bytes than follow): the same, not UNKNOWN.
        var truncated = await RawSignJsonAsync(client, [(2 << 3) | 2, 100, (byte)'{']);
        Assert.Equal(StatusCode.InvalidArgument, truncated.StatusCode);
        Assert.Contains("not valid protobuf", truncated.Status.Detail, StringComparison.Ordinal);

        // A unary method too.
        var bytes = Marshallers.Create(b => b, b => b);
        var listKeys = new Method<byte[], byte[]>(MethodType.Unary, "keycustody.v1.Custody", "ListKeys", bytes, bytes);
        var unary = await Assert.ThrowsAsync<RpcException>(async () => await client.Channel.CreateCallInvoker()
            .AsyncUnaryCall(listKeys, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(60)), [(1 << 3) | 7]));
        Assert.Equal(StatusCode.InvalidArgument, unary.StatusCode);

        var during = traffic.Signed;
        await traffic.WaitForSignaturesAsync(during + 3);
        Assert.False(_d.HasExited);
        Assert.Empty(traffic.Failures);
        Assert.DoesNotContain(ReadAudit(_d), r => r.GetString("kind") == "intent" && r.GetString("operation") != "sign_json");
    }

    [Fact]
    public async Task A_body_dripped_a_byte_at_a_time_is_cut_off_while_others_keep_signing()
    {
        await using var traffic = OrdinaryTraffic.Start(_d);
        await traffic.WaitForSignaturesAsync(3);
        var request = new SignJsonRequest { Key = "server", Json = ByteString.CopyFrom(CanonicalJson.Encode(JsonObject.Of(("slow", "drip")))) };
        var body = RawHttp2Connection.GrpcMessage(request.ToByteArray());
        await using var drip = await RawHttp2Connection.OpenAsync(_d.Socket);
        await drip.SendRequestHeadersAsync("/keycustody.v1.Custody/SignJson");
        var clock = Stopwatch.StartNew();
        var sent = 0;

        // 4 bytes a second, far below the configured minimum rate; the body is never finished.
        while (!drip.Ended.IsCompleted && clock.Elapsed < TimeSpan.FromSeconds(120))
        {
            if (sent < body.Length - 1)
            {
                await drip.SendDataAsync(body.AsMemory(sent++, 1));
            }

            await Task.WhenAny(drip.Ended, Task.Delay(250));
        }

        var how = drip.Ended.IsCompleted ? await drip.Ended : CutOff.NotYet;
        output.WriteLine($"slow drip: {how} after {clock.Elapsed.TotalSeconds:0.0} s and {sent} of {body.Length} bytes; {traffic.Signed} ordinary signatures meanwhile");
        Assert.NotEqual(CutOff.NotYet, how);
        Assert.True(drip.GoAwayError != 1, "the server saw a protocol error: the test client broke HTTP/2 instead of dripping");

        var during = traffic.Signed;
        await traffic.WaitForSignaturesAsync(during + 3);
        Assert.Empty(traffic.Failures);

        // The dripped request never became a request: no record carries its payload's hash.
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(CanonicalJson.EncodeForSigning(JsonObject.Of(("slow", "drip")))));
        Assert.DoesNotContain(hash, File.ReadAllText(_d.AuditLog), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Headers_never_finished_are_cut_off_while_others_keep_signing()
    {
        await using var traffic = OrdinaryTraffic.Start(_d);
        await traffic.WaitForSignaturesAsync(3);
        await using var held = await RawHttp2Connection.OpenAsync(_d.Socket);
        await held.SendRequestHeadersAsync("/keycustody.v1.Custody/SignJson", complete: false);
        var clock = Stopwatch.StartNew();
        var ended = await Task.WhenAny(held.Ended, Task.Delay(TimeSpan.FromSeconds(120))) == held.Ended;
        output.WriteLine($"headers held open: {(ended ? await held.Ended : CutOff.NotYet)} (GOAWAY error {held.GoAwayError} '{held.GoAwayDebug}') after {clock.Elapsed.TotalSeconds:0.0} s; {traffic.Signed} ordinary signatures meanwhile");
        Assert.True(ended, "a request whose headers never end was not cut off");
        Assert.True(held.GoAwayError != 1, "the server saw a protocol error: the test client broke HTTP/2 instead of holding the headers open");

        var during = traffic.Signed;
        await traffic.WaitForSignaturesAsync(during + 3);
        Assert.Empty(traffic.Failures);
    }

    [Fact]
    public async Task Connections_that_never_speak_are_closed_while_others_keep_signing()
    {
        await using var traffic = OrdinaryTraffic.Start(_d);
        await traffic.WaitForSignaturesAsync(3);
        var silent = new List<RawHttp2Connection>();
        try
        {
            for (var i = 0; i < 50; i++)
            {
                silent.Add(await RawHttp2Connection.OpenAsync(_d.Socket, sendPreface: false));
            }

            var clock = Stopwatch.StartNew();
            var all = Task.WhenAll(silent.Select(c => c.Ended));
            var ended = await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(120))) == all;
            output.WriteLine($"50 silent connections: {silent.Count(c => c.Ended.IsCompleted)} closed after {clock.Elapsed.TotalSeconds:0.0} s; {traffic.Signed} ordinary signatures meanwhile");
            Assert.True(ended, "connections that never sent the HTTP/2 preface were kept open");
        }
        finally
        {
            foreach (var c in silent)
            {
                await c.DisposeAsync();
            }
        }

        var during = traffic.Signed;
        await traffic.WaitForSignaturesAsync(during + 3);
        Assert.Empty(traffic.Failures);
    }

    private static async Task<RpcException> SignAsync(KeyCustody.Client.KeyCustodyClient client, byte[] json)
    {
        var (events, error) = await Collect(client.Custody.SignJson(SignRequest("server", json)));
        Assert.DoesNotContain(events, e => e.EventCase == SignEvent.EventOneofCase.Signed);
        return error ?? throw new InvalidOperationException("the request was signed");
    }

    /// <summary>SignJson with raw protobuf bytes as the request message (what a hostile client can put on the wire).</summary>
    private static async Task<RpcException> RawSignJsonAsync(KeyCustody.Client.KeyCustodyClient client, byte[] request)
    {
        var bytes = Marshallers.Create(b => b, b => b);
        var method = new Method<byte[], byte[]>(MethodType.ServerStreaming, "keycustody.v1.Custody", "SignJson", bytes, bytes);
        using var call = client.Channel.CreateCallInvoker().AsyncServerStreamingCall(method, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(60)), request);
        try
        {
            await foreach (var _ in call.ResponseStream.ReadAllAsync())
            {
            }
        }
        catch (RpcException e)
        {
            return e;
        }

        throw new InvalidOperationException("the nested-groups request was answered normally");
    }
}
