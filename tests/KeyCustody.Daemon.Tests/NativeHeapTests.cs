using System.Globalization;
using System.Runtime.InteropServices;
using KeyCustody.Daemon.Hosting;
using Xunit;

namespace KeyCustody.Daemon.Tests;

/// <summary>The trim gives malloc's free pages back to the system (what free() alone keeps: pages between live blocks).</summary>
public sealed class NativeHeapTests
{
    [Fact]
    public unsafe void Trim_releases_free_pages_that_live_blocks_keep_in_the_arena()
    {
        const int Count = 60_000;
        const int Size = 1000;
        var blocks = new nint[Count];
        try
        {
            for (var i = 0; i < Count; i++)
            {
                blocks[i] = (nint)NativeMemory.Alloc(Size);
                new Span<byte>((void*)blocks[i], Size).Fill(0x5a);
            }

            // Free all but every 50th block (one 1 kB block per ~50 kB) and the last: the arena cannot shrink, its pages are free but resident.
            for (var i = 0; i < Count - 1; i++)
            {
                if (i % 50 != 0)
                {
                    NativeMemory.Free((void*)blocks[i]);
                    blocks[i] = 0;
                }
            }

            var before = RssAnonKb();
            Assert.True(NativeHeap.Trim());
            var released = before - RssAnonKb();

            // About 59 MB were freed; at least half of it must leave the process.
            Assert.True(released > 29_000, $"malloc_trim released {released} kB of about 59,000 kB freed");
        }
        finally
        {
            foreach (var block in blocks.Where(b => b != 0))
            {
                NativeMemory.Free((void*)block);
            }
        }
    }

    private static long RssAnonKb()
    {
        var line = File.ReadLines("/proc/self/status").Single(l => l.StartsWith("RssAnon:", StringComparison.Ordinal));
        return long.Parse(line["RssAnon:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }
}
