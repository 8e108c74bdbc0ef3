using KeyCustody.Contract.Audit;
using KeyCustody.Daemon.Audit;
using KeyCustody.Daemon.Configuration;
using KeyCustody.Daemon.Keys;
using KeyCustody.Daemon.Tokens;
using KeyCustody.HwSim.Crypto;
using KeyCustody.Matrix.Policy;
using KeyCustody.Matrix.Signing;
using KeyCustody.Tokens;

namespace KeyCustody.Daemon.Hosting;

/// <summary>
/// <c>keycustodyd --check-config</c>, like <c>nginx -t</c> or <c>sshd -t</c>: after the configuration passed the
/// validator (settings, permissions, secret sources that exist here), reads every secret once (readable, not empty;
/// zeroed at once, never shown), reads the state files (<see cref="StateFiles"/>), checks the audit log's chain, opens
/// every token and looks for every configured key. Changes nothing: no file or directory is created or written, no key
/// pinned, nothing served (with <c>--simulator</c>, the state directory and default PIN files a start would prepare are
/// named, not made). Exit 0 when all is well, 2 when not.
/// </summary>
public static class ConfigCheck
{
    public static int Run(ConfigLoader.Loaded loaded, TextWriter output, TextWriter errors)
    {
        var cfg = loaded.Config;
        var problems = 0;
        void Ok(string what) => output.WriteLine("ok: " + what);
        void Note(string what) => output.WriteLine("note: " + what);
        void Bad(string what)
        {
            errors.WriteLine("error: " + what);
            problems++;
        }

        Ok($"configuration {loaded.ConfigFile ?? "(the --simulator defaults)"}: valid ({cfg.Tokens.Count} tokens, {cfg.Keys.Count} keys, {cfg.Access.Rules.Count} access rules)");
        Ok($"limits: at most {cfg.Limits.MaxConnectionsPerPeer} connections per peer (uid or certificate subject), {LimitsConfig.MaxConnections} in all");
        if (cfg.Metrics is { } metrics)
        {
            Ok($"metrics: Prometheus endpoint on {metrics} (/metrics; no credential, no payloads or user ids)");
        }
        else
        {
            Note("metrics: off (metrics.listen turns the Prometheus endpoint on)");
        }

        foreach (var token in cfg.Tokens)
        {
            foreach (var (setting, source) in new[] { ("pin", token.Pin), ("managementKey", token.ManagementKey), ("adminPin", token.AdminPin) })
            {
                if (source is not null && ReadProblem(source) is { } problem)
                {
                    Bad($"token {token.Name}: {setting} from {source}: {problem}");
                }
                else if (source is not null)
                {
                    Ok($"token {token.Name}: {setting} from {source} is readable");
                }
            }
        }

        if (loaded.Simulator && loaded.ConfigFile is null)
        {
            foreach (var missing in SimulatorDefaults.Prepared(cfg.StateDirectory).Where(p => !Path.Exists(p)))
            {
                Note($"{missing} does not exist yet; the first start of keycustodyd --simulator makes it");
            }
        }

        foreach (var problem in StateFiles.Problems(cfg.StateDirectory))
        {
            Bad(problem);
        }

        CheckAudit(cfg.AuditPath, AuditAnchoring.For(cfg.StateDirectory, loaded.AcceptAuditGap, "--check-config"), Ok, Note, Bad);

        // A simulator's root is not created by a check: a missing one means the cards would be new too.
        using var root = cfg.Tokens.Any(t => t.Kind == TokenKind.Simulator)
            ? File.Exists(cfg.SimulatorRoot) ? SimulatorRoot.LoadOrCreate(cfg.SimulatorRoot) : SimulatorRoot.CreateEphemeral()
            : null;
        foreach (var settings in cfg.Tokens)
        {
            if (settings.Kind == TokenKind.Simulator && settings.StateFile is { } card && !File.Exists(card))
            {
                // Opening it would make it (and write its file): a check changes nothing.
                Note($"token {settings.Name} (simulator): {card} does not exist yet; a blank card is made at the first start");
                continue;
            }

#pragma warning disable CA2000 // Disposed by the using declaration; null when the token's host could not be made.
            using var host = TryCreate(settings, cfg.Limits, root, out var unreadable);
#pragma warning restore CA2000
            if (host is null)
            {
                Bad(unreadable!);
                continue;
            }

            var (status, error) = Probe(host);
            if (status is null)
            {
                Bad($"token {settings.Name} ({host.Kind}): not reachable: {error}");
                continue;
            }

            Ok($"token {settings.Name} ({host.Kind}): reachable, serial {status.Serial}{(status.Firmware is { } fw ? ", firmware " + fw : string.Empty)}{(status.PinRetriesLeft is { } r ? $", {r} PIN retries left" : string.Empty)}");
            if (host.ModuleKnownIssue() is { } issue)
            {
                // What the start logs as a warning: something to plan for, not a reason to refuse the configuration.
                Note($"token {settings.Name} ({host.Kind}): {issue}");
            }

            foreach (var key in cfg.Keys.Where(k => k.Token == settings.Name))
            {
                CheckKey(host, key, KeyRegistry.PinnedIn(cfg.StateDirectory, key.Name), Ok, Note, Bad);
            }
        }

        if (problems == 0)
        {
            output.WriteLine("keycustodyd: the configuration is valid and every token is reachable");
            return 0;
        }

        errors.WriteLine($"keycustodyd: {problems} problem{(problems == 1 ? string.Empty : "s")} found");
        return 2;
    }

    /// <summary>The token's host, or null with what is wrong (a simulated card's state file that is not one).</summary>
    private static TokenHost? TryCreate(TokenSettings settings, LimitsConfig limits, SimulatorRoot? root, out string? problem)
    {
        problem = null;
        try
        {
            return TokenHost.Create(settings, limits, root);
        }
        catch (InvalidDataException e)
        {
            problem = DaemonHost.SimulatorStateProblem(settings, e);
            return null;
        }
    }

    private static string? ReadProblem(SecretSource source)
    {
        try
        {
            using var secret = source.Read();
            return secret.Length == 0 ? "it is empty" : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return e.Message;
        }
    }

    private static void CheckAudit(string path, AuditAnchoring anchoring, Action<string> ok, Action<string> note, Action<string> bad)
    {
        if (!File.Exists(path))
        {
            if (AuditContinuity.Check(path, AuditLogSummary.Before(anchoring), anchoring) is { } gone && anchoring.Accept != gone.AcceptWith)
            {
                bad($"audit log: {AuditContinuity.Refusal(gone)}");
                return;
            }

            note($"audit log {path} does not exist yet; it is created at the first start");
            return;
        }

        try
        {
            // One pass: the chain is verified and summed up for the anchor as it is read. The anchor is read once, before
            // the log: a daemon running beside this check moves it after each commit, never ahead of the log.
            var summary = AuditLogSummary.Before(anchoring);
            using var stream = File.OpenRead(path);
            var result = AuditChain.Verify(stream, summary.Add);
            if (result.Valid && AuditContinuity.Check(path, summary, anchoring) is { } gap && anchoring.Accept != gap.AcceptWith)
            {
                bad($"audit log: {AuditContinuity.Refusal(gap)}");
            }
            else if (result.Valid)
            {
                ok($"audit log {path}: {result.Records} records, the chain is intact{(File.Exists(anchoring.AnchorPath) ? " and continues its anchor" : string.Empty)}");
            }
            else if (result.Problem is { } problem && problem.StartsWith("the last line is incomplete", StringComparison.Ordinal))
            {
                note($"audit log {path}: {result.Records} records intact, then an incomplete last line (a write cut off by a crash); the daemon cuts it at start and records that it did");
            }
            else
            {
                bad($"audit log {path}: line {result.BrokenLine}: {result.Problem}; the daemon will not start on it");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            bad($"audit log {path}: cannot read it: {e.Message}");
        }
    }

    /// <summary>The token's status, or why it cannot be opened (any failure: this is a report, not the daemon).</summary>
    private static (TokenStatus? Status, string? Error) Probe(TokenHost host)
    {
        try
        {
            return host.Probe();
        }
#pragma warning disable CA1031 // A module that fails to load or a middleware that throws anything is a finding to print.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return (null, $"{e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>The command that makes an empty key, as the start names it (<see cref="StartupKeyLog"/>): by its role.</summary>
    private static string MakesIt(KeySettings key) => key switch
    {
        { BackupOf: { } primary } => $"a backup is filled with its primary {primary} when the master key is made in memory: `keycustody provision --user {StartupKeyLog.ShellWord(key.Owner)} --master import --master-backup {StartupKeyLog.ShellWord(key.Name)} --confirm-master-copy`",
        _ when key.Role.ToUsage() is not null => $"a user's cross-signing keys are made together: `keycustody provision --user {StartupKeyLog.ShellWord(key.Owner)} --attestation-root ROOT.pem`",
        _ => $"make it with `keycustody keys generate --key {StartupKeyLog.ShellWord(key.Name)}`",
    };

    /// <summary>A configured key on its token, against the configured public key or the one pinned in pins.json (<paramref name="pinned"/>).</summary>
    private static void CheckKey(TokenHost host, KeySettings key, Ed25519PublicKey? pinned, Action<string> ok, Action<string> note, Action<string> bad)
    {
        try
        {
            var info = host.Read(token => token.GetKey(key.KeyId));
            var actual = new Ed25519PublicKey(info.PublicKey);
            if (key.PublicKey is { } expected && !expected.Equals(actual))
            {
                bad($"key {key.Name}: {host.Name} holds {actual.Base64} in {key.KeyId}, but the configuration says {expected.Base64}");
            }
            else if (key.PublicKey is null && pinned is not null && !pinned.Equals(actual))
            {
                bad($"key {key.Name}: {host.Name} holds {actual.Base64} in {key.KeyId}, but {key.Name} is pinned to {pinned.Base64}: it is not the card the key was made on, or the key was replaced");
            }
            else
            {
                ok($"key {key.Name}: {key.KeyId} on {host.Name} holds {actual.Base64}");
            }
        }
        catch (TokenException e) when (e.Kind == TokenErrorKind.KeyNotFound && (key.PublicKey ?? pinned) is { } expected)
        {
            bad($"key {key.Name}: {key.KeyId} on {host.Name} is empty, but {key.Name} is {(key.PublicKey is null ? "pinned" : "configured")} as {expected.Base64}: " +
                "the card was reset or replaced (a simulator card without stateFile is new at every start); the key cannot sign until that card is back, " +
                "and `keycustody keys generate --key " + key.Name + " --overwrite` would give it a new identity");
        }
        catch (TokenException e) when (e.Kind == TokenErrorKind.KeyNotFound)
        {
            note($"key {key.Name}: {key.KeyId} on {host.Name} is empty ({MakesIt(key)})");
        }
        catch (TokenException e)
        {
            bad($"key {key.Name}: {e.Message}");
        }
    }
}
