using System.Runtime;

namespace KeyCustody.Daemon.Hosting;

/// <summary>The runtime's work so far, both counts only ever growing: garbage collections (gen 0 and up) and methods the JIT compiled.</summary>
internal readonly record struct RuntimeWork(long Collections, long Compiled)
{
    public static RuntimeWork SoFar() => new(GC.CollectionCount(0), JitInfo.GetCompiledMethodCount());
}
