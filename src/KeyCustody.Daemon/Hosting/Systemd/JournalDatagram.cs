using System.Buffers.Binary;
using System.Text;

namespace KeyCustody.Daemon.Hosting.Systemd;

/// <summary>
/// The journal's native protocol (systemd.io/JOURNAL_NATIVE_PROTOCOL): one datagram per entry, each field "NAME=value\n",
/// or, for a value holding a newline, "NAME\n", its length as a 64-bit little-endian number, the value and "\n".
/// </summary>
internal static class JournalDatagram
{
    public static byte[] Encode(IEnumerable<KeyValuePair<string, string>> fields)
    {
        using var buffer = new MemoryStream();
        Span<byte> length = stackalloc byte[8];
        foreach (var (name, value) in fields)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            buffer.Write(Encoding.ASCII.GetBytes(name));
            if (bytes.AsSpan().IndexOf((byte)'\n') < 0)
            {
                buffer.WriteByte((byte)'=');
            }
            else
            {
                buffer.WriteByte((byte)'\n');
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)bytes.Length);
                buffer.Write(length);
            }

            buffer.Write(bytes);
            buffer.WriteByte((byte)'\n');
        }

        return buffer.ToArray();
    }

    /// <summary>The fields of a datagram, in order (tests, and anyone reading what was sent).</summary>
    public static List<KeyValuePair<string, string>> Decode(ReadOnlySpan<byte> datagram)
    {
        var fields = new List<KeyValuePair<string, string>>();
        while (!datagram.IsEmpty)
        {
            var end = datagram.IndexOf((byte)'\n');
            var line = datagram[..end];
            var equals = line.IndexOf((byte)'=');
            if (equals >= 0)
            {
                fields.Add(new(Encoding.ASCII.GetString(line[..equals]), Encoding.UTF8.GetString(line[(equals + 1)..])));
                datagram = datagram[(end + 1)..];
                continue;
            }

            var size = (int)BinaryPrimitives.ReadUInt64LittleEndian(datagram[(end + 1)..]);
            fields.Add(new(Encoding.ASCII.GetString(line), Encoding.UTF8.GetString(datagram.Slice(end + 9, size))));
            datagram = datagram[(end + 9 + size + 1)..];
        }

        return fields;
    }
}
