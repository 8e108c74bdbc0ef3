using System.Diagnostics;

namespace KeyCustody.Daemon.Bench;

/// <summary>
/// How long one appended ~400-byte line plus fsync takes on the filesystem of the daemon's state directory: the
/// audit log writes and fsyncs one record before the token is asked and one after, under one lock.
/// </summary>
internal static class FsyncProbe
{
    public static double MedianMilliseconds(string directory, int records = 200)
    {
        var path = Path.Combine(directory, "fsync-probe");
        var line = new byte[400];
        line.AsSpan().Fill((byte)'x');
        line[^1] = (byte)'\n';
        var times = new List<double>(records);
        using (var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.None))
        {
            for (var i = 0; i < records; i++)
            {
                var started = Stopwatch.GetTimestamp();
                file.Write(line);
                file.Flush(flushToDisk: true);
                times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }

        File.Delete(path);
        times.Sort();
        return times[times.Count / 2];
    }

    /// <summary>One timed append + fsync every <paramref name="every"/> for <paramref name="window"/> (while a load runs).</summary>
    public static async Task<List<double>> DuringAsync(string directory, TimeSpan window, TimeSpan every)
    {
        var path = Path.Combine(directory, "fsync-probe-during");
        var line = new byte[400];
        line.AsSpan().Fill((byte)'x');
        line[^1] = (byte)'\n';
        var times = new List<double>();
        var clock = Stopwatch.StartNew();
        using (var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.None))
        {
            while (clock.Elapsed < window)
            {
                var started = Stopwatch.GetTimestamp();
                file.Write(line);
                file.Flush(flushToDisk: true);
                times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                await Task.Delay(every);
            }
        }

        File.Delete(path);
        times.Sort();
        return times;
    }
}
