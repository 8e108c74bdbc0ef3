using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using KeyCustody.Tests.Shared;

namespace KeyCustody.Daemon.Tests.FaultLoad;

/// <summary>
/// keycustody-hwsim as its own process with two cards behind a private pcscd's vpcd slots, touching by
/// themselves, and its control socket (the one-line protocol of hw-sim/README.md "Control surface").
/// </summary>
internal sealed class HwSimCards : IDisposable
{
    private readonly Process _process;

    private HwSimCards(Process process, string control, uint first)
    {
        _process = process;
        Control = control;
        Serials = [first, first + 1];
    }

    public string Control { get; }

    public IReadOnlyList<uint> Serials { get; }

    public static async Task<HwSimCards> StartAsync(PrivatePcscd pcscd, string directory, uint firstSerial)
    {
        var control = Path.Combine(directory, "hwsim.sock");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[]
        {
            Binaries.HwSim, "run", "--vpcd", pcscd.Endpoint(0).ToString(), "--vpcd", pcscd.Endpoint(1).ToString(),
            "--serial", firstSerial.ToString(CultureInfo.InvariantCulture), "--touch", "auto", "--touch-delay", "0",
            "--control", control, "--root", Path.Combine(directory, "hwsim-root.json"),
        })
        {
            start.ArgumentList.Add(a);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("keycustody-hwsim did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var cards = new HwSimCards(process, control, firstSerial);
        for (var i = 0; i < 1200 && !File.Exists(control); i++)
        {
            if (process.HasExited)
            {
                cards.Dispose();
                throw new InvalidOperationException($"keycustody-hwsim exited with {process.ExitCode}");
            }

            await Task.Delay(50);
        }

        return cards;
    }

    public void Unplug(uint serial) => Send($"unplug serial={serial}");

    /// <summary>Pulls the card during its next command: the command runs, its answer is lost.</summary>
    public void UnplugDuringNextCommand(uint serial) => Send($"unplug during=next point=after serial={serial}");

    public void Plug(uint serial) => Send($"plug serial={serial}");

    /// <summary>Nobody touches the card: operations that need a touch fail after <paramref name="timeoutMs"/> (69 82).</summary>
    public void NeverTouch(uint serial, int timeoutMs) => Send($"mode never timeout={timeoutMs} serial={serial}");

    public void AutoTouch(uint serial) => Send($"mode auto delay=0 serial={serial}");

    public string Status() => Send("status");

    /// <summary>One request line, one JSON answer; anything but ok is an error of the rig, not of the daemon.</summary>
    public string Send(string request)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(Control));
        socket.Send(Encoding.UTF8.GetBytes(request + "\n"));
        using var received = new MemoryStream();
        var chunk = new byte[4096];
        int n;
        while ((n = socket.Receive(chunk)) > 0)
        {
            received.Write(chunk, 0, n);
        }

        var reply = Encoding.UTF8.GetString(received.ToArray()).Trim();
        return reply.StartsWith("{\"ok\":true", StringComparison.Ordinal)
            ? reply
            : throw new InvalidOperationException($"keycustody-hwsim refused '{request}': {reply}");
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }
}
