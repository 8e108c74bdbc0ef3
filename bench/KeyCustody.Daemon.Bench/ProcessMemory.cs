using System.Globalization;

namespace KeyCustody.Daemon.Bench;

/// <summary>
/// Where a process's resident memory is, from /proc/PID/smaps_rollup and /proc/PID/smaps (kB as the kernel gives
/// them). VmRSS counts every page a process maps once per mapping, shared or not: the framework's assemblies and
/// native libraries are page-cache pages shared with every other .NET process (Pss divides them among their users),
/// and the JIT's executable memory lives in a shared memfd (RssShmem) when W^X is on, as it is by default.
/// </summary>
internal static class ProcessMemory
{
    /// <summary>The kernel's totals: Rss, Pss, Anonymous and the Pss split (smaps_rollup), RssAnon/RssFile/RssShmem (status).</summary>
    public static IReadOnlyDictionary<string, long> Rollup(int pid)
    {
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines($"/proc/{pid}/smaps_rollup").Concat(File.ReadLines($"/proc/{pid}/status")))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var fields = line[(colon + 1)..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (colon > 0 && fields.Length == 2 && fields[1] == "kB")
            {
                values[line[..colon]] = long.Parse(fields[0], CultureInfo.InvariantCulture);
            }
        }

        return values;
    }

    /// <summary>Rss and Pss (kB) by kind of mapping: framework/app assemblies, runtime/other native libraries, the JIT's memfd, anonymous.</summary>
    public static IReadOnlyList<(string Group, long Rss, long Pss)> ByMapping(int pid)
    {
        var groups = new Dictionary<string, (long Rss, long Pss)>(StringComparer.Ordinal);
        var group = "anonymous";
        foreach (var line in File.ReadLines($"/proc/{pid}/smaps"))
        {
            var first = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (first.Length >= 5 && first[0].Contains('-', StringComparison.Ordinal) && !first[0].EndsWith(':'))
            {
                group = Classify(first.Length == 6 ? first[5].Trim() : string.Empty);
                continue;
            }

            if (first.Length == 3 && first[0] is "Rss:" or "Pss:")
            {
                var kb = long.Parse(first[1], CultureInfo.InvariantCulture);
                var (rss, pss) = groups.GetValueOrDefault(group);
                groups[group] = first[0] == "Rss:" ? (rss + kb, pss) : (rss, pss + kb);
            }
        }

        return groups.OrderByDescending(g => g.Value.Rss).Select(g => (g.Key, g.Value.Rss, g.Value.Pss)).ToList();
    }

    private static string Classify(string path) => path switch
    {
        "" => "anonymous (GC heap, native allocations, thread stacks)",
        "[heap]" => "[heap] (malloc's main arena)",
        _ when path.StartsWith("/memfd:doublemapper", StringComparison.Ordinal) => "memfd:doublemapper (JIT code, loader heaps: W^X)",
        _ when path.StartsWith('[') => "other kernel mappings",
        _ when path.EndsWith(".dll", StringComparison.Ordinal) && path.StartsWith(RuntimeRoot, StringComparison.Ordinal) => "framework assemblies (.dll)",
        _ when path.EndsWith(".dll", StringComparison.Ordinal) => "application assemblies (.dll)",
        _ when path.Contains(".so", StringComparison.Ordinal) && path.StartsWith(RuntimeRoot, StringComparison.Ordinal) => "runtime native libraries (.so)",
        _ when path.Contains(".so", StringComparison.Ordinal) => "other native libraries (.so)",
        _ => "other files",
    };

    private static string RuntimeRoot => Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(typeof(object).Assembly.Location)))!;
}
