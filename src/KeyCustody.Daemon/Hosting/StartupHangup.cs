using System.Runtime.InteropServices;
using KeyCustody.Daemon.Configuration;

namespace KeyCustody.Daemon.Hosting;

/// <summary>
/// SIGHUP's default action ends the process (exit 129). From the first line of Program until <see cref="ConfigReload"/>
/// listens, a SIGHUP (a <c>systemctl reload</c> during start-up) is held instead: the reload handler, once installed,
/// runs the reload it asked for.
/// </summary>
internal static class StartupHangup
{
    private static PosixSignalRegistration? _held;
    private static int _pending;

    /// <summary>True when the process was started with SIGHUP ignored (nohup): <see cref="Hold"/> gave it its default back.</summary>
    public static bool WasIgnored { get; private set; }

    /// <summary>Holds SIGHUP from now until <see cref="Release"/>.</summary>
    public static void Hold()
    {
        if (_held is not null)
        {
            return;
        }

        // .NET installs no handler over an inherited SIG_IGN (nohup): the default action first, then the handler. Between
        // the two lines the default is in force, as it is everywhere before this first line of Program.
        WasIgnored = Posix.StopIgnoring(1);
        _held = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            Interlocked.Exchange(ref _pending, 1);
        });
    }

    /// <summary>Stops holding (the reload handler is installed); true when a SIGHUP came meanwhile.</summary>
    public static bool Release()
    {
        Interlocked.Exchange(ref _held, null)?.Dispose();
        return Interlocked.Exchange(ref _pending, 0) == 1;
    }
}
