using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;

namespace KeyCustody.Daemon.Hosting;

/// <summary>
/// The buffers Kestrel reads requests into and writes responses from: 4 KB pinned blocks, reused while the daemon works
/// and all given back when a burst is over (<see cref="IdleMemoryTrim"/> calls <see cref="ReleaseFree"/>). ASP.NET
/// Core's own pool gives back 5% of its free blocks every 10 s once idle: after 8 batch callers it held about 1,050 blocks
/// (4.3 MB of pinned memory, by dotnet-gcdump 25 s after the load), a minute later still most of them, which kept the
/// native daemon's memory after a burst above 120% of its idle figure (bench/README-daemon.md). Same contract as
/// Kestrel's pool: blocks of exactly 4096 bytes, not cleared between uses (Kestrel never sends bytes it did not write).
/// </summary>
public sealed class ServerBuffers : IMemoryPoolFactory<byte>
{
    private readonly List<Pool> _pools = [];

    public MemoryPool<byte> Create(MemoryPoolOptions? options = null)
    {
        var pool = new Pool(this);
        lock (_pools)
        {
            _pools.Add(pool);
        }

        return pool;
    }

    /// <summary>Drops every block no connection holds (the next collection reclaims them); returns how many.</summary>
    public int ReleaseFree()
    {
        lock (_pools)
        {
            return _pools.Sum(p => p.ReleaseFree());
        }
    }

    /// <summary>Blocks kept for reuse, in every pool.</summary>
    public int FreeBlocks
    {
        get
        {
            lock (_pools)
            {
                return _pools.Sum(p => p.Free);
            }
        }
    }

    private void Forget(Pool pool)
    {
        lock (_pools)
        {
            _pools.Remove(pool);
        }
    }

    internal sealed class Pool(ServerBuffers owner) : MemoryPool<byte>
    {
        public const int BlockSize = 4096;

        private readonly ConcurrentQueue<Block> _free = new();
        private volatile bool _disposed;

        public override int MaxBufferSize => BlockSize;

        public int Free => _free.Count;

        public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _free.TryDequeue(out var block) ? block : new Block(this);
        }

        public int ReleaseFree()
        {
            var released = 0;
            while (_free.TryDequeue(out _))
            {
                released++;
            }

            return released;
        }

        protected override void Dispose(bool disposing)
        {
            _disposed = true;
            ReleaseFree();
            owner.Forget(this);
        }

        private void Return(Block block)
        {
            if (!_disposed)
            {
                _free.Enqueue(block);
            }
        }

        private sealed class Block(Pool pool) : IMemoryOwner<byte>
        {
            public Memory<byte> Memory { get; } = MemoryMarshal.CreateFromPinnedArray(GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true), 0, BlockSize);

            public void Dispose() => pool.Return(this);
        }
    }
}
