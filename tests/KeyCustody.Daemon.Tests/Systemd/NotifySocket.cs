using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace KeyCustody.Daemon.Tests.Systemd;

/// <summary>
/// The test's side of $NOTIFY_SOCKET: a datagram socket bound where the daemon is told systemd listens. Every datagram
/// is kept in order; <see cref="NextAsync"/> waits for the next one matching a condition (a backstop deadline only).
/// </summary>
internal sealed class NotifySocket : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly Channel<string> _received = Channel.CreateUnbounded<string>();
    private readonly List<string> _all = [];
    private readonly CancellationTokenSource _stop = new();

    public NotifySocket(string path)
    {
        Path = path;
        _socket.Bind(new UnixDomainSocketEndPoint(path));
        _ = Task.Run(ReceiveLoop);
    }

    public string Path { get; }

    /// <summary>Every datagram so far.</summary>
    public IReadOnlyList<string> All
    {
        get
        {
            lock (_all)
            {
                return [.. _all];
            }
        }
    }

    /// <summary>The next datagram (after those already taken) for which <paramref name="match"/> holds; those before it are returned too.</summary>
    public async Task<(string Match, List<string> Before)> NextAsync(Func<string, bool> match, TimeSpan? backstop = null)
    {
        using var deadline = new CancellationTokenSource(backstop ?? TimeSpan.FromMinutes(3));
        var before = new List<string>();
        try
        {
            while (true)
            {
                var datagram = await _received.Reader.ReadAsync(deadline.Token);
                if (match(datagram))
                {
                    return (datagram, before);
                }

                before.Add(datagram);
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("no matching notification; received:\n" + string.Join("\n---\n", All));
        }
    }

    /// <summary>The value of <paramref name="name"/>= in a datagram (its assignments are lines), or null.</summary>
    public static string? Field(string datagram, string name) =>
        datagram.Split('\n').Where(l => l.StartsWith(name + "=", StringComparison.Ordinal)).Select(l => l[(name.Length + 1)..]).FirstOrDefault();

    private async Task ReceiveLoop()
    {
        var buffer = new byte[65536];
        try
        {
            while (true)
            {
                var n = await _socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None, _stop.Token);
                var text = Encoding.UTF8.GetString(buffer, 0, n);
                lock (_all)
                {
                    _all.Add(text);
                }

                await _received.Writer.WriteAsync(text);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            _received.Writer.TryComplete();
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        _stop.Dispose();
    }
}
