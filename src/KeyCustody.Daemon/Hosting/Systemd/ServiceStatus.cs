using System.Globalization;
using System.Net.Sockets;

namespace KeyCustody.Daemon.Hosting.Systemd;

/// <summary>
/// The one line <c>systemctl status keycustodyd</c> shows (STATUS=): what is wrong first (the watchdog's finding, a
/// failed audit log), then the tokens, then the last reload. Sent when it changes; nothing outside systemd.
/// </summary>
internal sealed class ServiceStatus(TimeProvider time)
{
    private readonly Lock _lock = new();
    private string _tokens = "starting";
    private string? _audit;
    private string? _watchdog;
    private string? _reload;
    private string? _sent;

    /// <summary>The line as it stands (what the last STATUS= said, or will say).</summary>
    public string Text
    {
        get
        {
            lock (_lock)
            {
                return Compose();
            }
        }
    }

    /// <summary>The tokens' presence, from the health monitor's round.</summary>
    public void Tokens(IReadOnlyList<(string Name, bool Present)> tokens)
    {
        var absent = tokens.Where(t => !t.Present).Select(t => t.Name).ToList();
        var text = absent.Count == 0
            ? $"serving, {tokens.Count} of {tokens.Count} tokens present"
            : $"serving, {tokens.Count - absent.Count} of {tokens.Count} tokens present ({string.Join(", ", absent)} absent)";
        Update(() => _tokens = text);
    }

    /// <summary>The audit log's failure (it then refuses every record, so nothing is signed), or null.</summary>
    public void AuditFailure(string? failure) => Update(() => _audit = failure is null ? null : "AUDIT LOG FAILED, signing nothing: " + failure);

    /// <summary>What the watchdog found unresponsive (no WATCHDOG=1 is sent meanwhile), or null once it is well again.</summary>
    public void NotResponding(string? finding) => Update(() => _watchdog = finding is null ? null : "NOT RESPONDING: " + finding);

    /// <summary>The last reload: applied, or refused (the configuration before it stays in force).</summary>
    public void Reloaded(bool applied, string detail) => Update(() =>
        _reload = (applied ? "reloaded " : "reload refused ") + time.GetLocalNow().ToString("HH:mm:ss", CultureInfo.InvariantCulture) + ": " + detail);

    private void Update(Action change)
    {
        lock (_lock)
        {
            change();
            var text = Compose();
            if (text == _sent)
            {
                return;
            }

            _sent = text;
            try
            {
                // Inside the lock, so two changes reach systemd in the order they were made.
                SdNotify.Send(SdNotify.Status(text));
            }
            catch (SocketException)
            {
                // A status line is a courtesy: a service manager that went away does not stop the daemon.
            }
        }
    }

    private string Compose() => string.Join("; ", new[] { _watchdog, _audit, _tokens, _reload }.OfType<string>());
}
