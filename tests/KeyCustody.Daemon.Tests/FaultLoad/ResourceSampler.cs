using System.Globalization;

namespace KeyCustody.Daemon.Tests.FaultLoad;

/// <summary>One look at the daemon: resident memory (VmRSS) and open file descriptors (/proc/PID/fd).</summary>
internal sealed record ResourceSample(DateTime At, int Start, TimeSpan SinceStart, long RssBytes, int Fds);

/// <summary>Samples whichever keycustodyd process is running, once a second, across kills and restarts.</summary>
internal sealed class ResourceSampler(FaultDaemon daemon)
{
    private readonly List<ResourceSample> _samples = [];
    private readonly Dictionary<int, DateTime> _firstSeen = [];

    public IReadOnlyList<ResourceSample> Samples
    {
        get
        {
            lock (_samples)
            {
                return _samples.ToList();
            }
        }
    }

    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            if (daemon.Pid is { } pid && Read(pid) is { } sample)
            {
                var start = daemon.Starts;
                var now = DateTime.UtcNow;
                lock (_samples)
                {
                    if (!_firstSeen.TryGetValue(start, out var first))
                    {
                        _firstSeen[start] = first = now;
                    }

                    _samples.Add(new ResourceSample(now, start, now - first, sample.Rss, sample.Fds));
                }
            }

            try
            {
                await Task.Delay(1000, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Null when the process went away between the pid and the read.</summary>
    private static (long Rss, int Fds)? Read(int pid)
    {
        try
        {
            long rss = -1;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
                }
            }

            var fds = Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;
            return rss < 0 ? null : (rss, fds);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
