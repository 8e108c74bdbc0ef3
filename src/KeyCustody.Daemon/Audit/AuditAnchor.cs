using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using KeyCustody.Matrix.Json;

namespace KeyCustody.Daemon.Audit;

/// <summary>The head of the audit chain: the last record's seq and hash.</summary>
public sealed record AuditHead(long Seq, string Hash)
{
    public override string ToString() => $"seq {Seq}, hash {Hash}";
}

/// <summary>
/// The audit chain's head kept apart from the log (audit-anchor.json, beside pins.json), so that a log cut at a record
/// boundary, replaced by an older copy or deleted shows at the next start: the log must still hold the record the
/// anchor names. Two fixed-size slots written in turn, each with its own check value, so a write torn by a crash leaves
/// the other one whole. It is written after every group commit's fsync with one positioned write and no fsync of its
/// own (the group commit is the hot path); it is fsync'd when the log closes. So it never runs ahead of the log, and
/// after a crash of the machine (not of the daemon) it may lag the log by what the kernel had not written back yet.
/// </summary>
public sealed class AuditAnchor : IDisposable
{
    public const string FileName = "audit-anchor.json";
    private const int SlotSize = 128;
    private readonly FileStream _file;
    private int _nextSlot;

    private AuditAnchor(FileStream file, int nextSlot)
    {
        _file = file;
        _nextSlot = nextSlot;
    }

    /// <summary>The head the anchor holds; null when there is no anchor file. <paramref name="unreadable"/>: a file with no whole slot.</summary>
    public static AuditHead? Read(string path, out bool unreadable)
    {
        unreadable = false;
        if (!File.Exists(path))
        {
            return null;
        }

        var data = File.ReadAllBytes(path);
        if (data.Length == 0)
        {
            // Created, but the daemon stopped before its first record: as good as absent.
            return null;
        }

        // Heads, not slots: MaxBy over a value tuple throws on none, where over the (reference) heads it gives null.
        var best = Slots(data).Select(s => s.Head).Where(h => h is not null).MaxBy(h => h!.Seq);
        unreadable = best is null;
        return best;
    }

    /// <summary>Opens (or creates, mode 0600) the anchor for writing.</summary>
    public static AuditAnchor Open(string path)
    {
        var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.OpenOrCreate,
            Access = FileAccess.ReadWrite,
            Share = FileShare.Read,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        var data = new byte[Math.Min(file.Length, 2 * SlotSize)];
        file.ReadExactly(data);
        var newest = Slots(data).Where(s => s.Head is not null).OrderByDescending(s => s.Head!.Seq).Select(s => (int?)s.Index).FirstOrDefault();
        return new AuditAnchor(file, newest is { } index ? 1 - index : 0);
    }

    /// <summary>Records <paramref name="head"/> in the slot not holding the previous one (no fsync: see the class).</summary>
    public void Write(AuditHead head)
    {
        RandomAccess.Write(_file.SafeFileHandle, Slot(head), (long)_nextSlot * SlotSize);
        _nextSlot = 1 - _nextSlot;
    }

    /// <summary>
    /// Puts <paramref name="head"/> in both slots and makes it durable: at start, once the log was checked (or a gap in it
    /// accepted), the anchor describes that chain only. Otherwise a slot still naming an older, longer chain (the head
    /// before an accepted cut) outranks the new head until two group commits have overwritten both slots.
    /// </summary>
    public void Rebase(AuditHead head)
    {
        var slot = Slot(head);
        RandomAccess.Write(_file.SafeFileHandle, slot, 0);
        RandomAccess.Write(_file.SafeFileHandle, slot, SlotSize);
        _file.Flush(flushToDisk: true);
        _nextSlot = 0;
    }

    /// <summary>Makes the last write durable (at close).</summary>
    public void Flush() => _file.Flush(flushToDisk: true);

    public void Dispose() => _file.Dispose();

    private static byte[] Slot(AuditHead head)
    {
        var json = CanonicalJson.Encode(JsonObject.Of(("check", Check(head)), ("hash", head.Hash), ("seq", head.Seq)));
        var slot = new byte[SlotSize];
        slot.AsSpan().Fill((byte)' ');
        json.CopyTo(slot, 0);
        slot[^1] = (byte)'\n';
        return slot;
    }

    private static IEnumerable<(int Index, AuditHead? Head)> Slots(byte[] data)
    {
        for (var i = 0; i < 2 && (i + 1) * SlotSize <= data.Length; i++)
        {
            yield return (i, Parse(data.AsSpan(i * SlotSize, SlotSize)));
        }
    }

    private static AuditHead? Parse(ReadOnlySpan<byte> slot)
    {
        try
        {
            var record = CanonicalJson.ParseObject(slot.TrimEnd("\n "u8));
            if (record["seq"] is JsonInteger seq && record.GetString("hash") is { Length: 64 } hash)
            {
                var head = new AuditHead(seq.Value, hash);
                return record.GetString("check") == Check(head) ? head : null;
            }
        }
        catch (FormatException)
        {
            // A torn or foreign slot: not a head.
        }

        return null;
    }

    private static string Check(AuditHead head) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(head.Seq.ToString(CultureInfo.InvariantCulture) + ":" + head.Hash)))[..16];
}
