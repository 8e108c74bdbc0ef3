using System.Globalization;
using System.Net.Sockets;
using KeyCustody.Daemon.Configuration;
using Serilog.Core;
using Serilog.Events;

namespace KeyCustody.Daemon.Hosting.Systemd;

/// <summary>
/// Log events to systemd-journald through its native socket, with fields (<see cref="JournalFields"/>). Used only when
/// the daemon's standard output or error is the journal already (JOURNAL_STREAM, set by systemd, names that stream's
/// device and inode), so outside systemd, or with output redirected elsewhere, the console stays as it was. An entry the
/// socket refuses (too large for a datagram, journald restarting or not reading for 10 s) is written to standard error
/// instead, with its syslog priority prefix, which is the journal too: it arrives, without its fields.
/// </summary>
internal sealed class JournalSink : ILogEventSink, IDisposable
{
    private readonly Socket _socket;

    private JournalSink(Socket socket) => _socket = socket;

    /// <summary>The sink when standard output or error is the journal and its socket answers; otherwise null (use the console).</summary>
    public static JournalSink? OpenIfJournal(string socketPath)
    {
        if (!StandardOutputIsJournal())
        {
            return null;
        }

        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(socketPath));

            // A journald that falls behind makes a send wait (its queue is full); one that stopped must not stop the
            // daemon: after this long the entry goes to standard error instead.
            socket.SendTimeout = 10_000;
            return new JournalSink(socket);
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null;
        }
    }

    /// <summary>JOURNAL_STREAM is "DEV:INO" of the stream systemd connected to the journal: is it our stdout or stderr?</summary>
    internal static bool StandardOutputIsJournal() =>
        Environment.GetEnvironmentVariable("JOURNAL_STREAM") is { Length: > 0 } stream
        && (Posix.DeviceAndInode(1) == stream || Posix.DeviceAndInode(2) == stream);

    public void Emit(LogEvent logEvent)
    {
        var fields = JournalFields.Of(logEvent, CultureInfo.InvariantCulture);
        try
        {
            _socket.Send(JournalDatagram.Encode(fields));
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Console.Error.WriteLine($"<{fields[1].Value}>{fields[0].Value}");
        }
    }

    public void Dispose() => _socket.Dispose();
}
