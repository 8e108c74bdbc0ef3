using System.Runtime.InteropServices;
using KeyCustody.Daemon.Audit;
using KeyCustody.Daemon.Configuration;
using KeyCustody.Daemon.Hosting.Systemd;
using KeyCustody.Daemon.Security;
using KeyCustody.Matrix.Json;

namespace KeyCustody.Daemon.Hosting;

/// <summary>
/// <c>systemctl reload keycustodyd</c> (SIGHUP): the configuration is read again through the same layers and validator
/// as at start, and the access rules take the new file's (user: and group: names resolved again). Nothing else changes
/// while the daemon runs: tokens, keys, listeners, the audit log, limits and presence settings are held by open handles,
/// pinned keys, in-flight requests and Kestrel's options, so a file that changes any of them is refused as a whole,
/// naming those settings (a restart applies them). A refused reload, for that or for an invalid file, keeps the rules in
/// force; either way the result is logged, audited and shown in STATUS=. Connections and requests are not touched.
/// </summary>
internal sealed partial class ConfigReload(
    ConfigLoader.Loaded started,
    AccessRules access,
    Presence.ApprovalBroker approvals,
    AuditLog audit,
    ServiceStatus status,
    ILogger<ConfigReload> log) : IDisposable
{
    private readonly SemaphoreSlim _one = new(1, 1);
    private IReadOnlyDictionary<string, string> _settings = started.Settings;
    private PosixSignalRegistration? _signal;

    /// <summary>Reloads on every SIGHUP from now on (the signal no longer ends the process).</summary>
    public void Listen()
    {
        // Start-up took an inherited SIG_IGN away already (StartupHangup.Hold); this covers a host started without it.
        if (Posix.StopIgnoring(1) | StartupHangup.WasIgnored)
        {
            LogWasIgnored();
        }

        _signal = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            _ = Task.Run(ReloadAsync);
        });
        if (StartupHangup.Release())
        {
            // A reload asked for while the daemon was starting: done now, on the file as it is.
            _ = Task.Run(ReloadAsync);
        }
    }

    /// <summary>One reload; true when the new rules are in force.</summary>
    public async Task<bool> ReloadAsync()
    {
        // Two SIGHUPs in a row reload twice, one after the other: the second reads the file as the operator left it.
        await _one.WaitAsync().ConfigureAwait(false);
        try
        {
            TryNotify(SdNotify.Reloading());
            var before = access.Rules.Select(r => r.Describe()).ToList();
            var (applied, detail, problems, sha256) = TryReload();
            var record = JsonObject.Of(("kind", "config_reload"), ("result", applied ? "applied" : "refused"), ("config_file", started.ConfigFile ?? "(--simulator defaults)"));
            if (applied)
            {
                // What a reload that widens access changed, said in the record and the log: the file applied (its hash),
                // the rules now in force as resolved, and which rules were added and removed.
                var after = access.Rules.Select(r => r.Describe()).ToList();
                var added = after.Except(before, StringComparer.Ordinal).ToList();
                var removed = before.Except(after, StringComparer.Ordinal).ToList();
                record = record.With("config_sha256", sha256 ?? "(no file)").With("access_rules", access.Rules.Count)
                    .With("rules", Strings(after)).With("added", Strings(added)).With("removed", Strings(removed));
                string addedText = Listed(added), removedText = Listed(removed);
                LogApplied(access.Rules.Count, sha256 ?? "(no file)", addedText, removedText);

                // A request waiting for an operator was admitted under the old rules: one the new rules would refuse ends.
                var cancelled = approvals.CancelNoLongerAllowed();
                record = record.With("cancelled_requests", Strings(cancelled.Select(p => p.RequestId)));
                foreach (var p in cancelled)
                {
                    LogCancelled(p.RequestId, p.Requester.ToString(), p.Key);
                }
            }
            else
            {
                record = record.With("problems", new JsonArray(problems.Select(p => (JsonValue)p).ToArray()));
                LogRefused(string.Join("; ", problems));
            }

            try
            {
                await audit.AppendAsync(record).ConfigureAwait(false);
            }
            catch (DaemonException e)
            {
                // The rules are swapped already (or were kept); the failed audit log is reported by the health monitor.
                LogNotAudited(e.Message);
            }

            status.Reloaded(applied, detail);
            return applied;
        }
        finally
        {
            TryNotify("READY=1");
            _one.Release();
        }
    }

    /// <summary>A reload that fails in an unforeseen way is a refused reload like any other, never a lost signal.</summary>
    private (bool Applied, string Detail, IReadOnlyList<string> Problems, string? Sha256) TryReload()
    {
        try
        {
            return Reload();
        }
#pragma warning disable CA1031 // Whatever went wrong, the rules in force stay and the operator is told.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return (false, "the configuration could not be read again; the previous rules stay in force", [$"{e.GetType().Name}: {e.Message}"], null);
        }
    }

    private static JsonArray Strings(IEnumerable<string> items) => new(items.Select(i => (JsonValue)i).ToArray());

    private static string Listed(List<string> rules) => rules.Count == 0 ? "none" : string.Join("; ", rules);

    private (bool Applied, string Detail, IReadOnlyList<string> Problems, string? Sha256) Reload()
    {
        if (started.CommandLine is not { } commandLine)
        {
            return (false, "this daemon was not started from a command line it can read again", ["no command line to reload from"], null);
        }

        ConfigLoader.Loaded next;
        try
        {
            next = ConfigLoader.Load(commandLine);
        }
        catch (ConfigException e)
        {
            return (false, $"{e.Problems.Count} problem(s) in the configuration; the previous rules stay in force", e.Problems, null);
        }

        var needRestart = ReloadableSettings.ChangedOutsideAccess(_settings, next.Settings);
        if (needRestart.Count > 0)
        {
            var problems = needRestart.Select(s => $"{s}: changed; this setting needs a restart (systemctl restart keycustodyd), the access rules alone are reloaded").ToList();
            return (false, $"{needRestart.Count} setting(s) other than the access rules changed; nothing applied", problems, null);
        }

        access.Replace(next.Config.Access);
        _settings = next.Settings;
        return (true, $"{access.Rules.Count} access rules", [], next.FileSha256);
    }

    private static void TryNotify(string state)
    {
        try
        {
            SdNotify.Send(state);
        }
        catch (System.Net.Sockets.SocketException)
        {
            // Outside a reachable service manager the reload itself still happens.
        }
    }

    public void Dispose()
    {
        _signal?.Dispose();
        _one.Dispose();
    }

    [LoggerMessage(EventId = 330, Level = LogLevel.Information, Message = "Configuration reloaded: {Rules} access rules in force (config SHA-256 {ConfigSha256}); added: {Added}; removed: {Removed}")]
    private partial void LogApplied(int rules, string configSha256, string added, string removed);

    [LoggerMessage(EventId = 331, Level = LogLevel.Error, Message = "Configuration reload refused; the access rules in force are unchanged: {Problems}")]
    private partial void LogRefused(string problems);

    [LoggerMessage(EventId = 333, Level = LogLevel.Information, Message = "SIGHUP was ignored when the daemon started (nohup?); it reloads the access rules from now on")]
    private partial void LogWasIgnored();

    [LoggerMessage(EventId = 334, Level = LogLevel.Warning, Message = "Configuration reload cancelled pending request {RequestId} of {Principal} with key {Key}: the new rules no longer let it sign")]
    private partial void LogCancelled(string requestId, string principal, string key);

    [LoggerMessage(EventId = 332, Level = LogLevel.Error, Message = "The configuration reload could not be audited: {Error}")]
    private partial void LogNotAudited(string error);
}
