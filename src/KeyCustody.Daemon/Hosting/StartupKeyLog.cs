using KeyCustody.Daemon.Keys;
using KeyCustody.Daemon.Tokens;
using KeyCustody.Matrix.Policy;
using Serilog;

namespace KeyCustody.Daemon.Hosting;

/// <summary>
/// What the start says of every configured key that cannot sign, once the keys are as this start leaves them (demo keys
/// generated). A key never made (a blank card before provisioning, as <c>keycustodyd --simulator --no-demo-keys</c>
/// starts) is the expected first state, not a fault: it gets the command that makes it, as information. Anything else
/// (a token absent, a key replaced, a key not trusted) is a warning with the token's own words.
/// </summary>
internal static class StartupKeyLog
{
    public static void Write(KeyRegistry registry)
    {
        var notGenerated = registry.All.Where(k => k.Problem is not null && k.NotGenerated).ToList();
        // Provisioning makes a user's master, self-signing and user-signing keys together: one line per user. The command
        // is a property of its own, so that each property appears once in a template.
        foreach (var user in notGenerated.Where(k => k.Settings.BackupOf is null && k.Settings.Role.ToUsage() is not null).GroupBy(k => k.Settings.Owner))
        {
            Log.Information(
                "Not generated yet: {Keys} of {User}, as on blank tokens before provisioning. Next: {Command} (ROOT.pem: the root CA " +
                "the tokens' attestations chain to: Yubico's, or for simulated cards what keycustody-hwsim root-cert prints)",
                string.Join(", ", user.Select(Where)),
                user.Key,
                $"keycustody provision --user {ShellWord(user.Key)} --attestation-root ROOT.pem");
        }

        foreach (var backup in notGenerated.Where(k => k.Settings.BackupOf is not null))
        {
            Log.Information(
                "Not generated yet: {Key}, the backup of {Primary}; a backup is filled only when the master key is made in memory, with its primary: {Command}",
                Where(backup),
                backup.Settings.BackupOf,
                $"keycustody provision --user {ShellWord(backup.Settings.Owner)} --master import --master-backup {ShellWord(backup.Name)} --confirm-master-copy");
        }

        foreach (var key in notGenerated.Where(k => k.Settings.BackupOf is null && k.Settings.Role.ToUsage() is null))
        {
            Log.Information("Not generated yet: {Key}. Next: {Command}", Where(key), $"keycustody keys generate --key {ShellWord(key.Name)}");
        }

        foreach (var key in registry.All.Where(k => k.Problem is not null && !k.NotGenerated))
        {
            Log.Warning("Key not usable yet: {Key}: {Problem}", key.Name, key.Problem);
        }

        foreach (var key in registry.All.Where(k => k.Problem is null && !k.Trust.Trusted))
        {
            Log.Warning("Key {Key} will not sign until this is resolved: {Reason}", key.Name, key.Trust.WhyNot);
        }
    }

    /// <summary>
    /// A warning for each token whose PKCS#11 module has a known issue an operator must plan for (SoftHSM2 2.6's leak in
    /// every Ed25519 signature). A token that does not open now says nothing here: its keys' lines above say why.
    /// </summary>
    public static void WriteKnownIssues(IEnumerable<TokenHost> hosts)
    {
        foreach (var host in hosts)
        {
            if (host.ModuleKnownIssue() is { } issue)
            {
                Log.Warning("Token {Token}: {KnownIssue}", host.Name, issue);
            }
        }
    }

    /// <summary>
    /// <paramref name="text"/> as one word for a POSIX shell: the commands above are printed to be pasted, and Matrix user
    /// IDs may hold '$', '`', ';', '(' (historical localparts), key names whatever the configuration says.
    /// </summary>
    internal static string ShellWord(string text) =>
        text.Length > 0 && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '@' or ':' or '.' or '_' or '-' or '=' or '/' or '+' or ',')
            ? text
            : "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string Where(KeyEntry key) => $"{key.Name} ({key.Settings.KeyId} on {key.Token.Name})";
}
