using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace KeyCustody.Daemon.Tests.Security;

/// <summary>How a raw HTTP/2 connection ended, as far as the client could tell.</summary>
internal enum CutOff
{
    /// <summary>Still open when the client gave up waiting.</summary>
    NotYet,
    /// <summary>The server reset the stream (RST_STREAM).</summary>
    StreamReset,
    /// <summary>The server ended the stream with trailers (a gRPC status).</summary>
    StreamEnded,
    /// <summary>The server said GOAWAY.</summary>
    GoAway,
    /// <summary>The server closed the socket.</summary>
    Closed,
}

/// <summary>
/// A deliberately misbehaving HTTP/2 client over the daemon's Unix socket: the connection preface, one request's
/// headers (optionally without END_HEADERS, never continued), then body bytes as slowly as the caller sends them.
/// A reader answers SETTINGS (before any request starts) and PING like a live peer and records when and how the server cut the stream off.
/// Just enough HTTP/2 (RFC 9113) and HPACK (RFC 7541: literal fields, no Huffman) for that.
/// </summary>
internal sealed class RawHttp2Connection : IAsyncDisposable
{
    private const byte Data = 0x0, Headers = 0x1, RstStream = 0x3, Settings = 0x4, Ping = 0x6, GoAwayFrame = 0x7;
    private const byte EndStream = 0x1, EndHeaders = 0x4, Ack = 0x1;
    private const int StreamId = 1;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly TaskCompletionSource<CutOff> _cut = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _settingsAcknowledged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _reader;

    private RawHttp2Connection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = Task.Run(ReadFramesAsync);
    }

    /// <summary>Completes with how the server cut the request off.</summary>
    public Task<CutOff> Ended => _cut.Task;

    /// <summary>The error code of the server's GOAWAY (RFC 9113 §7), if it sent one.</summary>
    public uint? GoAwayError { get; private set; }

    /// <summary>The debug text of the server's GOAWAY, if any.</summary>
    public string GoAwayDebug { get; private set; } = "";

    /// <summary>Connects and sends the preface and an empty SETTINGS frame; nothing else yet.</summary>
    public static async Task<RawHttp2Connection> OpenAsync(string socketPath, bool sendPreface = true)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
        var connection = new RawHttp2Connection(socket);
        if (sendPreface)
        {
            await connection.WriteRawAsync("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray());
            await connection.WriteFrameAsync(Settings, 0, 0, ReadOnlyMemory<byte>.Empty);

            // The server's SETTINGS must be acknowledged before a request starts: a frame between HEADERS without
            // END_HEADERS and its CONTINUATION is a protocol error (RFC 9113 §6.10), so no ACK may come later.
            var settled = await Task.WhenAny(connection._settingsAcknowledged.Task, connection.Ended, Task.Delay(TimeSpan.FromSeconds(30)));
            if (settled != connection._settingsAcknowledged.Task)
            {
                await connection.DisposeAsync();
                throw new IOException("the server sent no HTTP/2 SETTINGS after the preface");
            }
        }

        return connection;
    }

    /// <summary>The request headers of a gRPC call to <paramref name="path"/>; without <paramref name="complete"/>, END_HEADERS is never sent.</summary>
    public Task SendRequestHeadersAsync(string path, bool complete = true)
    {
        using var block = new MemoryStream();
        foreach (var (name, value) in new[]
        {
            (":method", "POST"), (":scheme", "http"), (":path", path), (":authority", "keycustodyd"),
            ("content-type", "application/grpc"), ("te", "trailers"),
        })
        {
            block.WriteByte(0x00);
            WriteString(block, name);
            WriteString(block, value);
        }

        return WriteFrameAsync(Headers, complete ? EndHeaders : (byte)0, StreamId, block.ToArray());
    }

    /// <summary>Body bytes of the request in one DATA frame, the stream left open unless <paramref name="last"/>.</summary>
    public Task SendDataAsync(ReadOnlyMemory<byte> bytes, bool last = false) => WriteFrameAsync(Data, last ? EndStream : (byte)0, StreamId, bytes);

    /// <summary>A gRPC message: compressed flag 0, 4-byte big-endian length, then the protobuf bytes.</summary>
    public static byte[] GrpcMessage(byte[] protobuf)
    {
        var message = new byte[5 + protobuf.Length];
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(1), (uint)protobuf.Length);
        protobuf.CopyTo(message, 5);
        return message;
    }

    public async ValueTask DisposeAsync()
    {
        _cut.TrySetResult(CutOff.NotYet);
        _socket.Dispose();
        await _stream.DisposeAsync();
        try
        {
            await _reader;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException)
        {
        }

        _writeLock.Dispose();
    }

    private async Task WriteFrameAsync(byte type, byte flags, int stream, ReadOnlyMemory<byte> payload)
    {
        var header = new byte[9];
        header[0] = (byte)(payload.Length >> 16);
        header[1] = (byte)(payload.Length >> 8);
        header[2] = (byte)payload.Length;
        header[3] = type;
        header[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(5), stream);
        await _writeLock.WaitAsync();
        try
        {
            await _stream.WriteAsync(header);
            await _stream.WriteAsync(payload);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task WriteRawAsync(byte[] bytes)
    {
        await _writeLock.WaitAsync();
        try
        {
            await _stream.WriteAsync(bytes);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task ReadFramesAsync()
    {
        var header = new byte[9];
        try
        {
            while (true)
            {
                await _stream.ReadExactlyAsync(header);
                var length = (header[0] << 16) | (header[1] << 8) | header[2];
                var (type, flags) = (header[3], header[4]);
                var stream = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)) & 0x7FFFFFFF;
                var payload = new byte[length];
                await _stream.ReadExactlyAsync(payload);
                switch (type)
                {
                    case Settings when (flags & Ack) == 0:
                        await WriteFrameAsync(Settings, Ack, 0, ReadOnlyMemory<byte>.Empty);
                        _settingsAcknowledged.TrySetResult();
                        break;
                    case Ping when (flags & Ack) == 0:
                        await WriteFrameAsync(Ping, Ack, 0, payload);
                        break;
                    case RstStream when stream == StreamId:
                        _cut.TrySetResult(CutOff.StreamReset);
                        break;
                    case Headers when stream == StreamId && (flags & EndStream) != 0:
                        _cut.TrySetResult(CutOff.StreamEnded);
                        break;
                    case GoAwayFrame:
                        GoAwayError = payload.Length >= 8 ? BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(4)) : null;
                        GoAwayDebug = payload.Length > 8 ? Encoding.UTF8.GetString(payload.AsSpan(8)) : "";
                        _cut.TrySetResult(CutOff.GoAway);
                        break;
                }
            }
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or ObjectDisposedException or SocketException)
        {
            _cut.TrySetResult(CutOff.Closed);
        }
    }

    /// <summary>An HPACK string literal without Huffman coding (7-bit prefix length).</summary>
    private static void WriteString(MemoryStream block, string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        var length = bytes.Length;
        if (length < 127)
        {
            block.WriteByte((byte)length);
        }
        else
        {
            block.WriteByte(127);
            length -= 127;
            while (length >= 128)
            {
                block.WriteByte((byte)((length & 0x7F) | 0x80));
                length >>= 7;
            }

            block.WriteByte((byte)length);
        }

        block.Write(bytes);
    }
}
