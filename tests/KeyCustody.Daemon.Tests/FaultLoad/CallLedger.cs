using System.Collections.Concurrent;
using Grpc.Core;

namespace KeyCustody.Daemon.Tests.FaultLoad;

/// <summary>Why a client sent a request, which decides what it may get back.</summary>
internal enum CallKind
{
    /// <summary>An entitled caller, a valid object: a signature or an honest error.</summary>
    Normal,
    /// <summary>As Normal, and the caller cancels after a random moment.</summary>
    Cancel,
    /// <summary>As Normal, and the caller closes its connection after a random moment.</summary>
    Disconnect,
    /// <summary>The restricted TLS client on a key its rule does not cover: never a signature.</summary>
    Denied,
    /// <summary>The restricted TLS client on the one key it may use.</summary>
    Allowed,
    /// <summary>An object the key's role must not sign, or a document the reader refuses: never a signature.</summary>
    Refused,
}

/// <summary>One call as the client saw it.</summary>
internal sealed record CallRecord(
    int Client,
    string Key,
    CallKind Kind,
    string? RequestId,
    StatusCode? Status,
    bool Signed,
    string? Detail,
    DateTime Started,
    DateTime Ended);

/// <summary>Every call of the run, and what the clients found wrong on the spot (each a violation).</summary>
internal sealed class CallLedger
{
    private readonly ConcurrentQueue<CallRecord> _calls = new();
    private readonly ConcurrentQueue<string> _violations = new();
    private readonly ConcurrentDictionary<string, int> _verified = new(StringComparer.Ordinal);
    private readonly Lock _sampleLock = new();
    private readonly Dictionary<string, List<SignedSample>> _samples = new(StringComparer.Ordinal);
    private readonly Random _sampling = new(7);

    public IReadOnlyCollection<CallRecord> Calls => _calls;

    public IReadOnlyCollection<string> Violations => _violations;

    /// <summary>Signatures checked with KeyCustody.Matrix, by key.</summary>
    public IReadOnlyDictionary<string, int> Verified => _verified;

    public void Add(CallRecord call) => _calls.Enqueue(call);

    public void Violation(string what) => _violations.Enqueue(what);

    public void CountVerified(string key) => _verified.AddOrUpdate(key, 1, (_, n) => n + 1);

    /// <summary>Keeps a uniform sample (reservoir) of signed documents per key for python-signedjson.</summary>
    public void Sample(string key, byte[] signedJson, int perKey)
    {
        lock (_sampleLock)
        {
            if (!_samples.TryGetValue(key, out var list))
            {
                _samples[key] = list = [];
            }

            var seen = _verified.GetValueOrDefault(key);
            if (list.Count < perKey)
            {
                list.Add(new SignedSample(key, signedJson));
            }
            else if (_sampling.Next(Math.Max(seen, 1)) < perKey)
            {
                list[_sampling.Next(perKey)] = new SignedSample(key, signedJson);
            }
        }
    }

    public IReadOnlyList<SignedSample> Samples()
    {
        lock (_sampleLock)
        {
            return _samples.Values.SelectMany(s => s).ToList();
        }
    }
}

/// <summary>A signed document a client received, kept for the python-signedjson check.</summary>
internal sealed record SignedSample(string Key, byte[] SignedJson);
