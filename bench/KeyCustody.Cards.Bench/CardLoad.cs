using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using KeyCustody.Client;
using KeyCustody.Protos.V1;

namespace KeyCustody.Cards.Bench;

/// <summary>
/// Concurrent callers, each with its own connection to the daemon's Unix socket and its own card's key (caller i
/// signs with card i mod N), each following its signing stream to SIGNED before it sends the next request.
/// </summary>
internal sealed class CardLoad(CardsDaemon daemon, CardRig rig, IReadOnlyList<byte[]> devices)
{
    private static readonly TimeSpan CallDeadline = TimeSpan.FromMinutes(2);

    public async Task<CellResult> RunAsync(int cards, int clients, TimeSpan warmup, TimeSpan window)
    {
        foreach (var card in rig.Cards)
        {
            card.Activity.Take();
        }

        long start = Stopwatch.GetTimestamp();
        long from = start + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        long until = from + (long)(window.TotalSeconds * Stopwatch.Frequency);
        var cpu = Task.Run(async () =>
        {
            await Task.Delay(warmup);
            var before = daemon.CpuSeconds();
            await Task.Delay(window);
            return daemon.CpuSeconds() - before;
        });
        var perClient = await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            using var client = daemon.Client();
            int card = c % cards;
            var key = CardsDaemon.KeyName(card);
            var calls = new List<Call>();
            int index = c;
            while (Stopwatch.GetTimestamp() < until)
            {
                var request = new SignJsonRequest { Key = key, Json = ByteString.CopyFrom(devices[index % devices.Count]) };
                index += clients;
                long started = Stopwatch.GetTimestamp();
                bool ok = await CallAsync(client, request);
                calls.Add(new Call(card, started, Stopwatch.GetTimestamp(), ok));
            }

            return calls;
        })));
        var busy = rig.Cards.Take(cards).Select(card => card.Activity.Take()).ToList();
        return new CellResult(cards, clients, from, until, perClient.SelectMany(c => c).ToList(), busy, await cpu);
    }

    private static async Task<bool> CallAsync(KeyCustodyClient client, SignJsonRequest request)
    {
        try
        {
            var signed = await KeyCustodyClient.FollowUntilSignedAsync(client.Custody.SignJson(request, deadline: DateTime.UtcNow + CallDeadline), null);
            return signed.SignedJson.Count == 1;
        }
        catch (RpcException)
        {
            return false;
        }
    }
}
