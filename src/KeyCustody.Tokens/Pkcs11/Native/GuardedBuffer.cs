using System.Runtime.InteropServices;

namespace KeyCustody.Tokens.Pkcs11.Native;

/// <summary>
/// Native memory a module writes into, as regions of the sizes we tell it, each followed by slack it is not told of (as
/// much again, at least 64 bytes) filled with a pattern. After the call a changed byte in a slack means the module wrote
/// past what it was allowed (<see cref="Overrun"/>): the write landed in memory of ours that is discarded, not in the
/// managed heap or the stack, and the answer is refused. A module runs in-process and is trusted code: this catches a
/// buggy module that writes a little too far, it is no sandbox (one that writes further, or elsewhere, still can).
/// </summary>
internal sealed unsafe class GuardedBuffer : IDisposable
{
    private const byte Pattern = 0xA5;
    private const nuint MinimumSlack = 64;

    private readonly nuint[] _offsets;
    private readonly nuint[] _sizes;
    private readonly nuint _total;
    private byte* _block;

    public GuardedBuffer(params ReadOnlySpan<nuint> sizes)
    {
        _offsets = new nuint[sizes.Length];
        _sizes = sizes.ToArray();
        nuint next = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            _offsets[i] = next;
            next = checked(next + Aligned(sizes[i]) + Slack(sizes[i]));
        }

        _total = next == 0 ? 1 : next;
        _block = (byte*)NativeMemory.Alloc(_total);
        new Span<byte>(_block, checked((int)_total)).Fill(Pattern);
        for (int i = 0; i < sizes.Length; i++)
        {
            new Span<byte>(_block + _offsets[i], checked((int)sizes[i])).Clear();
        }
    }

    /// <summary>Where region <paramref name="index"/> starts (8-byte aligned, zeroed).</summary>
    public byte* Region(int index) => _block + _offsets[index];

    /// <summary>The first region whose slack the module wrote into, or -1 if every slack is as it was.</summary>
    public int Overrun()
    {
        for (int i = 0; i < _sizes.Length; i++)
        {
            // The slack begins right after the size told, so a write one byte too far is seen, alignment padding included.
            var end = i + 1 < _sizes.Length ? _offsets[i + 1] : _total;
            var slack = new ReadOnlySpan<byte>(_block + _offsets[i] + _sizes[i], checked((int)(end - _offsets[i] - _sizes[i])));
            if (slack.IndexOfAnyExcept(Pattern) >= 0)
            {
                return i;
            }
        }

        return -1;
    }

    public void Dispose()
    {
        if (_block is null)
        {
            return;
        }

        NativeMemory.Clear(_block, _total);
        NativeMemory.Free(_block);
        _block = null;
    }

    private static nuint Aligned(nuint size) => (size + 7) & ~(nuint)7;

    private static nuint Slack(nuint size) => size < MinimumSlack ? MinimumSlack : Aligned(size);
}
