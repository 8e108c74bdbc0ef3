using System.Collections.Concurrent;

namespace KeyCustody.Daemon.Security;

/// <summary>
/// At most <c>limits.maxConnectionsPerPeer</c> open connections per peer (a uid on the Unix socket, a certificate
/// subject over TCP), so one member of the socket's group cannot hold every connection Kestrel allows and lock the
/// others out (root's <c>keycustody status</c> included). Nobody is exempt: root and the daemon's own uid have their
/// own share like everyone, and no member can take it. A refused peer is logged once per interval with the number
/// refused meanwhile, never once per connection: a peer that hammers cannot flood the journal.
/// </summary>
internal sealed class PeerConnectionCap(int limit, TimeSpan logInterval, Action<string, int, long> logRefused)
{
    private readonly ConcurrentDictionary<string, Peer> _peers = new(StringComparer.Ordinal);

    public int Limit { get; } = limit;

    /// <summary>The peer a connection counts against: the uid only (not gid or pid), so new processes share one budget.</summary>
    public static string KeyOf(Principal p) => p.CertificateSubject is { } subject ? "cert:" + Matrix.DisplayText.Escape(subject) : $"uid:{p.Uid}";

    /// <summary>Counts a new connection of <paramref name="peer"/>; false (and it is not counted) when the peer has its limit open.</summary>
    public bool TryOpen(string peer)
    {
        var state = _peers.GetOrAdd(peer, _ => new Peer());
        lock (state)
        {
            if (state.Open < Limit)
            {
                state.Open++;
                return true;
            }

            state.RefusedSinceLog++;
            var now = Environment.TickCount64;
            if (state.LastLog is null || now - state.LastLog.Value >= (long)logInterval.TotalMilliseconds)
            {
                logRefused(peer, Limit, state.RefusedSinceLog);
                state.LastLog = now;
                state.RefusedSinceLog = 0;
            }

            return false;
        }
    }

    /// <summary>A counted connection of <paramref name="peer"/> ended.</summary>
    public void Closed(string peer)
    {
        if (_peers.TryGetValue(peer, out var state))
        {
            lock (state)
            {
                state.Open--;
            }
        }
    }

    private sealed class Peer
    {
        public int Open { get; set; }

        public long? LastLog { get; set; }

        public long RefusedSinceLog { get; set; }
    }
}
