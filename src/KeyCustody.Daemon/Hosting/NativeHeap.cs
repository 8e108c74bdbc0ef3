using System.Runtime.InteropServices;

namespace KeyCustody.Daemon.Hosting;

/// <summary>
/// Gives glibc's malloc arenas back to the system. Native allocations (the JIT compiling hot methods at tier 1 during
/// and after a burst, Kestrel, OpenSSL, PKCS#11 modules) leave freed memory in malloc's per-thread arenas, which free()
/// returns only from the top of an arena; malloc_trim(0) releases every free page of every arena. Measured after a
/// burst (bench/run-daemon.sh --memory): 4-11 MB of arena memory free but resident, gone after a trim.
/// </summary>
internal static partial class NativeHeap
{
    private static volatile bool _unavailable;

    /// <summary>Releases free malloc memory; returns whether any was released (never where the C library has no malloc_trim: musl).</summary>
    public static bool Trim()
    {
        if (_unavailable || !OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            return MallocTrim(0) == 1;
        }
        catch (EntryPointNotFoundException)
        {
            _unavailable = true;
            return false;
        }
    }

    /// <summary>
    /// At most this many malloc arenas besides the main one. glibc gives each new thread that allocates an arena of its
    /// own, up to eight per core; after a burst the thread pool's extra threads are gone, but their arenas stay, each
    /// with pages that a few live blocks (a thread's tcache, a library's per-thread state) keep resident, which
    /// malloc_trim cannot give back. The daemon's own work allocates on the GC heap; what allocates with malloc (OpenSSL,
    /// PKCS#11 modules, libpcsclite) is not where its time goes, so two arenas are enough.
    /// Measured (bench/run-daemon.sh --memory --keys soft-ssk,hsm-ssk,sim-ssk, 2026-12-05): heaptrack counted 3.05 MB
    /// of live malloc memory idle and 3.68 MB a minute after the burst, while the arenas' resident memory had grown by
    /// 4.5 MB (13-16 arenas; 7.7 MB after the full bench run); with two arenas, VmRSS a minute after the burst was
    /// 53.6 MB against 54.8-55.5 MB in three runs without (idle 48.4).
    /// </summary>
    public const int Arenas = 2;

    /// <summary>
    /// Caps malloc's arenas at <see cref="Arenas"/> (mallopt M_ARENA_MAX) unless the operator chose a number
    /// (MALLOC_ARENA_MAX, or GLIBC_TUNABLES with glibc.malloc.arena_max); returns whether the cap was set. Called first
    /// thing in the daemon's process: arenas made before it stay.
    /// </summary>
    public static bool LimitArenas()
    {
        if (_unavailable || !OperatingSystem.IsLinux()
            || Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is not null
            || Environment.GetEnvironmentVariable("GLIBC_TUNABLES")?.Contains("glibc.malloc.arena_max", StringComparison.Ordinal) == true)
        {
            return false;
        }

        try
        {
            return Mallopt(ArenaMax, Arenas) == 1;
        }
        catch (EntryPointNotFoundException)
        {
            _unavailable = true;
            return false;
        }
    }

    /// <summary>glibc's M_ARENA_MAX (malloc.h).</summary>
    private const int ArenaMax = -8;

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int Mallopt(int param, int value);
}
