using KeyCustody.Daemon.Hosting;
using Xunit;

namespace KeyCustody.Daemon.Tests;

/// <summary>The pool Kestrel's connections take their buffers from, which the idle trim empties.</summary>
public sealed class ServerBuffersTests
{
    [Fact]
    public void A_returned_block_is_reused_until_the_free_blocks_are_released()
    {
        var buffers = new ServerBuffers();
        using var pool = buffers.Create();
        var first = pool.Rent();
        Assert.Equal(4096, first.Memory.Length);
        var memory = first.Memory;
        first.Dispose();
        Assert.Equal(1, buffers.FreeBlocks);

        var again = pool.Rent();
        Assert.True(again.Memory.Equals(memory), "a free block was not reused");
        Assert.Equal(0, buffers.FreeBlocks);
        again.Dispose();

        Assert.Equal(1, buffers.ReleaseFree());
        Assert.Equal(0, buffers.FreeBlocks);
        using var fresh = pool.Rent();
        Assert.False(fresh.Memory.Equals(memory), "a released block came back");
    }

    [Fact]
    public void Blocks_a_connection_holds_are_not_released_and_come_back_after()
    {
        var buffers = new ServerBuffers();
        using var pool = buffers.Create();
        var held = pool.Rent();
        var free = pool.Rent();
        free.Dispose();

        Assert.Equal(1, buffers.ReleaseFree());
        held.Memory.Span.Fill(7);
        held.Dispose();
        Assert.Equal(1, buffers.FreeBlocks);
    }

    [Fact]
    public void Every_pool_the_factory_made_is_released_and_a_disposed_one_is_forgotten()
    {
        var buffers = new ServerBuffers();
        var a = buffers.Create();
        using var b = buffers.Create();
        a.Rent().Dispose();
        b.Rent().Dispose();
        Assert.Equal(2, buffers.FreeBlocks);

        var late = a.Rent();
        a.Dispose();
        late.Dispose();
        Assert.Equal(1, buffers.FreeBlocks);
        Assert.Throws<ObjectDisposedException>(() => a.Rent());
        Assert.Equal(1, buffers.ReleaseFree());
    }

    [Fact]
    public void A_block_larger_than_4096_bytes_is_refused()
    {
        using var pool = new ServerBuffers().Create();
        Assert.Equal(4096, pool.MaxBufferSize);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(4097));
        using var any = pool.Rent(-1);
        Assert.Equal(4096, any.Memory.Length);
    }
}
