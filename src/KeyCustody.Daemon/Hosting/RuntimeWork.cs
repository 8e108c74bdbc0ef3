using System.Runtime;

namespace KeyCustody.Daemon.Hosting;

/// <summary>
/// The runtime's work so far: garbage collections (gen 0 and up) and methods the JIT compiled, both only ever growing,
/// and the thread pool's threads now (<see cref="Threads"/>; -1 when not counted).
/// </summary>
internal readonly record struct RuntimeWork(long Collections, long Compiled, int Threads = -1)
{
    public static RuntimeWork SoFar() => new(GC.CollectionCount(0), JitInfo.GetCompiledMethodCount(), ThreadPool.ThreadCount);
}
