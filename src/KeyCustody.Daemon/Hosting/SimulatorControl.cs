using KeyCustody.Daemon.Tokens;
using KeyCustody.HwSim.Control;
using KeyCustody.HwSim.Touch;
using Serilog;

namespace KeyCustody.Daemon.Hosting;

/// <summary>
/// The button of the in-process simulated cards: hw-sim's control socket (0600, in the state directory), so a person
/// presses a card waiting for a manual touch with <c>keycustody-hwsim touch --control PATH</c>, and can unplug and
/// plug it, exactly as with <c>keycustody-hwsim run</c>.
/// </summary>
public static class SimulatorControl
{
    public const string FileName = "simulator-control.sock";

    public static IDisposable? Start(string stateDirectory, IReadOnlyList<TokenHost> hosts)
    {
        var simulated = hosts.Where(h => h.SimulatedCard is not null).ToList();
        if (simulated.Count == 0)
        {
            return null;
        }

        var path = Path.Combine(stateDirectory, FileName);
        RefuseLive(path);
        var server = new ControlServer(path, new ControlHandler(simulated.Select(h => new SimulatedCard(h.SimulatedCard!, null)).ToList()));
        Log.Information("Simulator: the cards' button is keycustody-hwsim touch --control {Control} [--serial N] (also status, unplug, plug)", path);
        foreach (var host in simulated.Where(h => h.SimulatedCard!.Button.Mode != TouchMode.Auto))
        {
            Log.Warning("Simulator token {Token} has touch {Touch}: nothing touches it by itself; press with keycustody-hwsim touch --control {Control} --serial {Serial}",
                host.Name, host.Settings.Touch, path, host.Serial);
        }

        return server;
    }

    /// <summary>A leftover socket from a crash is replaced; one another daemon on this state directory still serves is not taken.</summary>
    private static void RefuseLive(string path)
    {
        if (!File.Exists(path))
        {
            return;
        }

        using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        try
        {
            probe.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
        }
        catch (System.Net.Sockets.SocketException)
        {
            return;
        }

        throw new DaemonStartException($"another process serves the simulator control socket {path}: another keycustodyd on this state directory? Stop it or choose another stateDirectory");
    }
}
