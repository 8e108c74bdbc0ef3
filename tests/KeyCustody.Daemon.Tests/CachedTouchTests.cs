using System.Globalization;
using Google.Protobuf;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Protos.V1;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// Keys with touch policy cached (a YubiKey signs without a new touch for 15 s after one), on simulated cards that
/// touch themselves. The audit log counts the touches the card waited for, apart from the signatures it made on a
/// cached touch and whose touch that was; a touch covers only the person who gave it: another caller within the
/// window is refused (or, configured so, waits for an operator). A batch takes one confirmation. Each test has its
/// own daemon and cards. The cards count a touch for 600 s (touchCacheSeconds, simulator cards only), far longer than
/// any load can stretch two requests of a test apart, a CLI started as another user included: with a YubiKey's 15 s
/// this flaked on a loaded machine. TouchCacheTests keeps the 15 s the daemon assumes for real cards.
/// </summary>
public sealed class CachedTouchTests : IAsyncLifetime
{
    private const uint Nobody = 65534;
    private const int CardWindowSeconds = 600;
    private readonly DaemonProcess _d = DaemonProcess.Create();
    private readonly Ed25519SoftwareKey _device = Ed25519SoftwareKey.FromSeed("cached-touch-device-cached-touch"u8);

    public async Task InitializeAsync()
    {
        _d.Configure(Config(_d, "refuse"));
        await _d.StartAsync();
        await GenerateKeys(_d);
    }

    public async Task DisposeAsync()
    {
        _device.Dispose();
        await _d.DisposeAsync();
    }

    [Fact]
    public async Task A_cached_touch_covers_its_own_caller_only_and_the_audit_says_which_touches_happened()
    {
        using var client = _d.Client();

        // Alice (this process): the card waits for her touch, then signs her next request on it without a prompt.
        var (first, error) = await Collect(client.Custody.SignJson(SignRequest("shared", Device("ONE"))));
        Assert.Null(error);
        Assert.Equal([SignEvent.EventOneofCase.Accepted, SignEvent.EventOneofCase.PresenceRequired, SignEvent.EventOneofCase.Signed], first.Select(e => e.EventCase));
        (var second, error) = await Collect(client.Custody.SignJson(SignRequest("shared", Device("TWO"))));
        Assert.Null(error);
        Assert.Equal([SignEvent.EventOneofCase.Accepted, SignEvent.EventOneofCase.Signed], second.Select(e => e.EventCase));

        var audit = ReadAudit(_d);
        var touched = audit.For(first[0].Accepted.RequestId).Single(r => r.GetString("kind") == "outcome");
        Assert.Equal(1L, ((JsonInteger)touched["touches"]!).Value);
        Assert.Null(touched["cached_touches"]);
        var cached = audit.For(second[0].Accepted.RequestId).Single(r => r.GetString("kind") == "outcome");
        Assert.Equal(0L, ((JsonInteger)cached["touches"]!).Value);
        Assert.Equal(1L, ((JsonInteger)cached["cached_touches"]!).Value);
        var alice = touched.GetString("principal")!;
        Assert.Equal(first[0].Accepted.RequestId, cached.GetObject("cached_touch")!.GetString("request_id"));
        Assert.Equal(alice, cached.GetObject("cached_touch")!.GetString("principal"));

        // Bob, right after, on the same card: Alice's touch is not his. Refused before any intent, and audited.
        var payload = PublicFile(_d, "bob-device.json", CanonicalJson.Encode(Device("BOBS")));
        var (exit, output) = RunCliAs(Nobody, Nobody, "--socket", _d.Socket, "sign", "--key", "shared", payload);
        Assert.True(exit == 3, $"exit {exit}: {output}");
        Assert.Contains($"covers only {alice}'s requests", output, StringComparison.Ordinal);
        Assert.DoesNotContain("\"signatures\"", output, StringComparison.Ordinal);
        audit = ReadAudit(_d);
        var refused = audit.Single(r => r.GetString("principal")?.StartsWith($"uid:{Nobody} ", StringComparison.Ordinal) == true);
        Assert.Equal(("decision", "fresh_presence_required"), (refused.GetString("kind"), refused.GetString("decision")));
        Assert.Equal(first[0].Accepted.RequestId, refused.GetObject("cached_touch")!.GetString("request_id"));
    }

    [Fact]
    public async Task A_batch_takes_one_confirmation_listing_every_object_and_counts_one_touch()
    {
        using var client = _d.Client();
        var batch = new SignJsonBatchRequest { Key = "batch" };
        batch.Json.AddRange(Enumerable.Range(0, 20).Select(i => ByteString.CopyFrom(CanonicalJson.Encode(Device("DEV" + i.ToString(CultureInfo.InvariantCulture))))));
        var (events, error) = await Collect(client.Custody.SignJsonBatch(batch));
        Assert.Null(error);

        var prompt = Assert.Single(events, e => e.EventCase == SignEvent.EventOneofCase.PresenceRequired).PresenceRequired;
        Assert.Equal(PresenceRequired.Types.Method.Touch, prompt.Method);
        Assert.StartsWith("make 20 signatures with key 'batch': ", prompt.Intent, StringComparison.Ordinal);
        Assert.Contains("sign device DEV0 of", prompt.Intent, StringComparison.Ordinal);
        Assert.Contains("sign device DEV19 of", prompt.Intent, StringComparison.Ordinal);
        Assert.Equal(20, events[^1].Signed.SignedJson.Count);
        var outcome = ReadAudit(_d).For(events[0].Accepted.RequestId).Single(r => r.GetString("kind") == "outcome");
        Assert.Equal(1L, ((JsonInteger)outcome["touches"]!).Value);
        Assert.Equal(19L, ((JsonInteger)outcome["cached_touches"]!).Value);
    }

    [Fact]
    public async Task A_batch_on_a_touch_always_key_lists_the_batch_first_then_names_each_further_touch()
    {
        using var client = _d.Client();
        var batch = new SignJsonBatchRequest { Key = "always" };
        batch.Json.AddRange(new[] { "A", "B", "C" }.Select(id => ByteString.CopyFrom(CanonicalJson.Encode(Device(id)))));
        var (events, error) = await Collect(client.Custody.SignJsonBatch(batch));
        Assert.Null(error);

        // The card's rule: one touch per signature. The person sees the whole batch at the first.
        var prompts = events.Where(e => e.EventCase == SignEvent.EventOneofCase.PresenceRequired).Select(e => e.PresenceRequired.Intent).ToList();
        Assert.Equal(3, prompts.Count);
        Assert.StartsWith("make 3 signatures with key 'always': ", prompts[0], StringComparison.Ordinal);
        Assert.StartsWith("object 2 of 3: sign device B of", prompts[1], StringComparison.Ordinal);
        Assert.StartsWith("object 3 of 3: sign device C of", prompts[2], StringComparison.Ordinal);
        var outcome = ReadAudit(_d).For(events[0].Accepted.RequestId).Single(r => r.GetString("kind") == "outcome");
        Assert.Equal(3L, ((JsonInteger)outcome["touches"]!).Value);
        Assert.Null(outcome["cached_touches"]);
    }

    [Fact]
    public async Task Configured_so_an_operator_approval_stands_in_for_another_callers_touch()
    {
        await using var d = DaemonProcess.Create();
        d.Configure(Config(d, "operator"));
        await d.StartAsync();
        await GenerateKeys(d);
        using var client = d.Client();
        var (first, error) = await Collect(client.Custody.SignJson(SignRequest("shared", Device("ONE"))));
        Assert.Null(error);

        var payload = PublicFile(d, "bob-device.json", CanonicalJson.Encode(Device("BOBS")));
        var bob = Task.Run(() => RunCliAs(Nobody, Nobody, "--socket", d.Socket, "sign", "--key", "shared", payload));
        PendingRequest? pending = null;
        for (var i = 0; i < 1200 && pending is null; i++)
        {
            pending = (await client.Admin.ListPendingAsync(new ListPendingRequest())).Pending.FirstOrDefault();
            await Task.Delay(50);
        }

        Assert.NotNull(pending);
        Assert.StartsWith($"uid:{Nobody} ", pending.Principal, StringComparison.Ordinal);
        await client.Admin.ApproveAsync(new ApproveRequest { RequestId = pending.RequestId });
        var (exit, output) = await bob;
        Assert.True(exit == 0, $"exit {exit}: {output}");

        var records = ReadAudit(d).For(pending.RequestId);
        Assert.Equal("touch+operator", records.Single(r => r.GetString("kind") == "intent").GetString("presence"));
        var outcome = records.Single(r => r.GetString("kind") == "outcome");
        Assert.Equal("signed", outcome.GetString("outcome"));
        Assert.Equal(first[0].Accepted.RequestId, outcome.GetObject("cached_touch")!.GetString("request_id"));
        Assert.NotNull(outcome.GetString("approver"));
    }

    private static object Config(DaemonProcess d, string cachedTouchForOthers) => new
    {
        listen = new { socketMode = "0660", socketGroup = Nobody.ToString(CultureInfo.InvariantCulture) },
        tokens = new[]
        {
            Simulator(d, "yk-shared", 20000101, demoKeys: false, touchCacheSeconds: CardWindowSeconds),
            Simulator(d, "yk-batch", 20000102, demoKeys: false, touchCacheSeconds: CardWindowSeconds),
            Simulator(d, "yk-always", 20000103, demoKeys: false, touchCacheSeconds: CardWindowSeconds),
        },
        keys = new[]
        {
            Key("shared", "yk-shared", "9a", "self_signing"),
            Key("batch", "yk-batch", "9a", "self_signing"),
            Key("always", "yk-always", "9a", "self_signing"),
        },
        access = new[] { Rule(Me, ["*"], "sign", "approve", "admin"), Rule($"uid:{Nobody}", ["shared"], "sign") },
        presence = new { cachedTouchForOthers, approvalTimeoutSeconds = 120 },
    };

    private static async Task GenerateKeys(DaemonProcess d)
    {
        using var client = d.Client();
        await Generate(client, "yk-shared", "9a", pin: "never", touch: "cached");
        await Generate(client, "yk-batch", "9a", pin: "never", touch: "cached");
        await Generate(client, "yk-always", "9a", pin: "never", touch: "always");
    }

    private JsonObject Device(string id) => Identities.SignedDevice(User, id, _device, null);
}
