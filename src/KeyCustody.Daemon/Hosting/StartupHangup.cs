using System.Runtime.InteropServices;

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

    /// <summary>Holds SIGHUP from now until <see cref="Release"/>.</summary>
    public static void Hold() => _held ??= PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
    {
        context.Cancel = true;
        Interlocked.Exchange(ref _pending, 1);
    });

    /// <summary>Stops holding (the reload handler is installed); true when a SIGHUP came meanwhile.</summary>
    public static bool Release()
    {
        Interlocked.Exchange(ref _held, null)?.Dispose();
        return Interlocked.Exchange(ref _pending, 0) == 1;
    }
}
