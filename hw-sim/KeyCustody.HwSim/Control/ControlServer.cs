using System.Net.Sockets;
using System.Text;

namespace KeyCustody.HwSim.Control;

/// <summary>
/// The control socket: a Unix socket (0600) taking one request line and answering one JSON line per
/// connection, so a person (<c>keycustody-hwsim touch --control S</c>) or a test can press the button or pull the card.
/// </summary>
public sealed class ControlServer : IDisposable
{
    private readonly string _path;
    private readonly ControlHandler _handler;
    private readonly Socket _listener;
    private readonly Thread _thread;
    private volatile bool _stopping;

    public ControlServer(string path, ControlHandler handler)
    {
        _path = path;
        _handler = handler;
        if (File.Exists(path))
        {
            File.Delete(path);
        }

        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(path));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        _listener.Listen(16);
        _thread = new Thread(Run) { IsBackground = true, Name = "hwsim control" };
        _thread.Start();
    }

    public void Dispose()
    {
        _stopping = true;
        _listener.Dispose();
        _thread.Join(TimeSpan.FromSeconds(5));
        File.Delete(_path);
    }

    private void Run()
    {
        while (!_stopping)
        {
            Socket client;
            try
            {
                client = _listener.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            using (client)
            {
                try
                {
                    var line = ReadLine(client);
                    var reply = line is null ? "{\"ok\":false,\"error\":\"empty request\"}" : _handler.Handle(line);
                    client.Send(Encoding.UTF8.GetBytes(reply + "\n"));
                }
                catch (SocketException)
                {
                    // The client went away; nothing to answer.
                }
            }
        }
    }

    private static string? ReadLine(Socket client)
    {
        var buffer = new List<byte>();
        var one = new byte[256];
        while (buffer.Count < 4096)
        {
            int n = client.Receive(one);
            if (n == 0)
            {
                break;
            }

            buffer.AddRange(one.AsSpan(0, n));
            if (buffer.Contains((byte)'\n'))
            {
                break;
            }
        }

        var text = Encoding.UTF8.GetString(buffer.ToArray()).Split('\n')[0].Trim();
        return text.Length == 0 ? null : text;
    }
}
