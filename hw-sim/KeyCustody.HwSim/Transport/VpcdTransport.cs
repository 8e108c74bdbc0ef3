using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace KeyCustody.HwSim.Transport;

/// <summary>
/// Puts a <see cref="VirtualCard"/> into a vpcd reader slot of pcscd: connects as the card (TCP client) to
/// vpcd, answers its control codes and APDUs, and keeps reconnecting while pcscd is away (restart). Unplugging
/// the card closes the connection (pcscd sees a removal); plugging it back reconnects.
/// </summary>
public sealed class VpcdTransport : IDisposable
{
    private const byte PowerOffCode = 0x00;
    private const byte PowerOnCode = 0x01;
    private const byte ResetCode = 0x02;
    private const byte GetAtrCode = 0x04;

    private readonly VirtualCard _card;
    private readonly IPEndPoint _endpoint;
    private readonly Action<string> _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _socketGate = new();
    private Thread? _thread;
    private Socket? _socket;
    private volatile bool _connected;
    private bool _disposed;

    private readonly bool _logApdus;

    // logApdus: also log each APDU's CLA/INS/P1/P2 and status word (never its data).
    public VpcdTransport(VirtualCard card, IPEndPoint endpoint, Action<string>? log = null, bool logApdus = false)
    {
        _card = card;
        _endpoint = endpoint;
        _log = log ?? (_ => { });
        _logApdus = logApdus;
        _card.PresenceChanged += OnPresenceChanged;
    }

    /// <summary>True while connected to vpcd (the card is "in the reader").</summary>
    public bool IsConnected => _connected;

    public IPEndPoint Endpoint => _endpoint;

    /// <summary>How many times a connection to vpcd was established (reconnects included).</summary>
    public int Connections { get; private set; }

    /// <summary>Parses "host:port".</summary>
    public static IPEndPoint ParseEndpoint(string text) => IPEndPoint.Parse(text);

    public void Start()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = $"vpcd {_endpoint}" };
        _thread.Start();
    }

    /// <summary>Blocks until connected, false on timeout (helper for tests and start-up).</summary>
    public bool WaitUntilConnected(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!_connected)
        {
            if (DateTime.UtcNow > deadline || _stop.IsCancellationRequested)
            {
                return false;
            }

            Thread.Sleep(10);
        }

        return true;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _card.PresenceChanged -= OnPresenceChanged;
        _stop.Cancel();
        CloseSocket();
        _thread?.Join(TimeSpan.FromSeconds(5));
        lock (_socketGate)
        {
            // Normally already disposed by the loop that owns it; disposing twice is harmless.
            _socket?.Dispose();
        }

        _stop.Dispose();
    }

    private void OnPresenceChanged(object? sender, EventArgs e)
    {
        if (!_card.IsPresent)
        {
            CloseSocket();
        }
    }

    private void CloseSocket()
    {
        lock (_socketGate)
        {
            try
            {
                _socket?.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException)
            {
                // Already closed by the peer.
            }
            catch (ObjectDisposedException)
            {
                // Already closed by the loop.
            }
        }
    }

    private void Run()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            if (!_card.WaitForPresence(token))
            {
                return;
            }

            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Connect(_endpoint);
            }
            catch (SocketException)
            {
                token.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(250));
                continue;
            }

            lock (_socketGate)
            {
                _socket = socket;
            }

            Connections++;
            _connected = true;
            _log($"card {_card.Serial} inserted into vpcd {_endpoint}");
            try
            {
                Serve(socket);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // pcscd went away or the card was pulled: reconnect below.
            }
            finally
            {
                _connected = false;
                lock (_socketGate)
                {
                    _socket = null;
                }

                _card.PowerOff();
                _log($"card {_card.Serial} left vpcd {_endpoint}");
            }

            if (!token.IsCancellationRequested && _card.IsPresent)
            {
                token.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(250));
            }
        }
    }

    private void Serve(Socket socket)
    {
        while (!_stop.IsCancellationRequested && _card.IsPresent)
        {
            var message = VpcdFraming.Receive(socket);
            if (message is null)
            {
                return;
            }

            if (message.Length == 1)
            {
                switch (message[0])
                {
                    case PowerOffCode:
                        _card.PowerOff();
                        break;
                    case PowerOnCode:
                        _card.PowerOn();
                        break;
                    case ResetCode:
                        _card.WarmReset();
                        break;
                    case GetAtrCode:
                        VpcdFraming.Send(socket, _card.Atr);
                        break;
                    default:
                        break;
                }

                continue;
            }

            try
            {
                var response = _card.TransmitRaw(message);
                VpcdFraming.Send(socket, response);
                if (_logApdus)
                {
                    _log($"card {_card.Serial} apdu {Convert.ToHexString(message.AsSpan(0, 4))} -> {Convert.ToHexString(response.AsSpan(response.Length - 2))}");
                }
            }
            catch (CardRemovedException)
            {
                return;
            }
            finally
            {
                CryptographicOperations.ZeroMemory(message);
            }
        }
    }
}
