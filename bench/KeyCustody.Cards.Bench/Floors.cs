using System.Diagnostics;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Protos.V1;
using KeyCustody.Tests.Shared;
using KeyCustody.Tokens.Pcsc;

namespace KeyCustody.Cards.Bench;

/// <summary>
/// What a signature costs on this machine without the daemon, measured in the same run as the daemon's cells, at the
/// same pace: the yardsticks the time the daemon adds is read against (bench/README-cards.md, "The floors").
/// </summary>
internal static class Floors
{
    /// <summary>
    /// One program per card signing directly through the same pcscd and vpcd, as a PIV program in steady state does
    /// (Yubico's ykpiv, and the daemon's own PIV client, once the applet is selected): a PC/SC transaction, GENERAL
    /// AUTHENTICATE for the card's 9a Ed25519 key over the same message the daemon signs (chained in 255-byte
    /// commands), the end of the transaction. Each call split by the card's busy intervals exactly as the daemon's
    /// calls are: its "added" is what pcscd, vpcd and a PC/SC program add to the card's own time on this machine.
    /// Each card's first signature is verified against its public key (as the daemon's first one is).
    /// </summary>
    public static CellResult DirectSigners(CardRig rig, int cards, IReadOnlyList<byte[]> devices, IReadOnlyList<Ed25519PublicKey> keys, TimeSpan warmup, TimeSpan window)
    {
        foreach (var card in rig.Cards)
        {
            card.Activity.Take();
        }

        var messages = devices.Select(d => CanonicalJson.EncodeForSigning(CanonicalJson.ParseObject(d))).ToList();
        long start = Stopwatch.GetTimestamp();
        long from = start + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        long until = from + (long)(window.TotalSeconds * Stopwatch.Frequency);
        var perCard = new List<Call>[cards];
        var failures = new Exception?[cards];
        var threads = Enumerable.Range(0, cards).Select(i => new Thread(() =>
        {
            try
            {
                perCard[i] = SignUntil(i, messages, keys[i], until);
            }
            catch (Exception e)
            {
                failures[i] = e;
            }
        }) { IsBackground = true, Name = "direct signer " + i }).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        if (failures.FirstOrDefault(f => f is not null) is { } failure)
        {
            throw new InvalidOperationException("a direct signer failed: " + failure.Message, failure);
        }

        var busy = rig.Cards.Take(cards).Select(card => card.Activity.Take()).ToList();
        return new CellResult(cards, cards, from, until, perCard.SelectMany(c => c).ToList(), busy, double.NaN);
    }

    private static List<Call> SignUntil(int card, List<byte[]> messages, Ed25519PublicKey key, long until)
    {
        using var readers = PcscReaders.Open();
        using var connection = readers.Connect(PrivatePcscd.ReaderName(card / 2, card % 2))
            ?? throw new InvalidOperationException($"card {card}: no card in its reader");
        var calls = new List<Call>();
        for (var index = card; Stopwatch.GetTimestamp() < until; index += 8)
        {
            var message = messages[index % messages.Count];
            var commands = GeneralAuthenticate(message);
            byte[] response = [];
            long started = Stopwatch.GetTimestamp();
            using (connection.BeginTransaction())
            {
                foreach (var command in commands)
                {
                    response = connection.Transmit(command);
                }
            }

            long ended = Stopwatch.GetTimestamp();
            bool ok = response.Length == 2 + 4 + 64 && response[^2] == 0x90 && response[^1] == 0x00
                && response[0] == 0x7C && response[2] == 0x82 && response[3] == 64;
            if (ok && calls.Count == 0 && !NSec.Cryptography.SignatureAlgorithm.Ed25519.Verify(NSec.Cryptography.PublicKey.Import(NSec.Cryptography.SignatureAlgorithm.Ed25519, key.Bytes, NSec.Cryptography.KeyBlobFormat.RawPublicKey), message, response.AsSpan(4, 64)))
            {
                throw new InvalidOperationException($"card {card}: the card's signature does not verify against its public key");
            }

            calls.Add(new Call(card, started, ended, ok));
        }

        return calls;
    }

    /// <summary>GENERAL AUTHENTICATE (Ed25519, slot 9a) for <paramref name="message"/>, split into chained commands.</summary>
    private static List<byte[]> GeneralAuthenticate(byte[] message)
    {
        var inner = new List<byte> { 0x82, 0x00, 0x81 };
        inner.AddRange(Length(message.Length));
        inner.AddRange(message);
        var data = new List<byte> { 0x7C };
        data.AddRange(Length(inner.Count));
        data.AddRange(inner);
        var commands = new List<byte[]>();
        for (var offset = 0; offset < data.Count; offset += 255)
        {
            int length = Math.Min(255, data.Count - offset);
            bool last = offset + length == data.Count;
            var command = new List<byte> { (byte)(last ? 0x00 : 0x10), 0x87, 0xE0, 0x9A, (byte)length };
            command.AddRange(data.Skip(offset).Take(length));
            if (last)
            {
                command.Add(0x00);
            }

            commands.Add([.. command]);
        }

        return commands;
    }

    private static byte[] Length(int n) => n switch
    {
        < 0x80 => [(byte)n],
        <= 0xFF => [0x81, (byte)n],
        _ => [0x82, (byte)(n >> 8), (byte)n],
    };

    /// <summary>
    /// A call that signs nothing (ListKeys: peer credentials and access rules, no token, no audit record), one caller
    /// per card at the pace of that cell's signatures (one call every <paramref name="period"/>): what any call through
    /// the daemon's gRPC over its Unix socket costs on this machine when calls come that seldom. Latencies in ms.
    /// </summary>
    public static async Task<List<double>> PacedCallsAsync(CardsDaemon daemon, int callers, TimeSpan period, TimeSpan warmup, TimeSpan window)
    {
        long start = Stopwatch.GetTimestamp();
        long from = start + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        long until = from + (long)(window.TotalSeconds * Stopwatch.Frequency);
        var perCaller = await Task.WhenAll(Enumerable.Range(0, callers).Select(c => Task.Run(async () =>
        {
            using var client = daemon.Client();
            var latencies = new List<double>();
            while (Stopwatch.GetTimestamp() < until)
            {
                long started = Stopwatch.GetTimestamp();
                var keys = await client.Custody.ListKeysAsync(new ListKeysRequest());
                long ended = Stopwatch.GetTimestamp();
                if (keys.Keys.Count == 0)
                {
                    throw new InvalidOperationException("ListKeys answered no keys");
                }

                if (started >= from && ended <= until)
                {
                    latencies.Add(Stopwatch.GetElapsedTime(started, ended).TotalMilliseconds);
                }

                var rest = period - Stopwatch.GetElapsedTime(started);
                if (rest > TimeSpan.Zero)
                {
                    await Task.Delay(rest);
                }
            }

            return latencies;
        })));
        return perCaller.SelectMany(l => l).ToList();
    }
}
