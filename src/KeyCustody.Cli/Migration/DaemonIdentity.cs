using KeyCustody.Client;
using KeyCustody.Protos.V1;

namespace KeyCustody.Cli.Migration;

/// <summary>
/// The keys the daemon is configured to hold for the user (master, its backup copy, self-signing, user-signing), what
/// they hold now, and whether their tokens are present. Read before anything is changed.
/// </summary>
internal sealed record DaemonIdentity(KeyInfo Master, KeyInfo? Backup, KeyInfo SelfSigning, KeyInfo UserSigning)
{
    public static async Task<DaemonIdentity> LoadAsync(KeyCustodyClient client, string userId, string? backupName, bool noBackup, CancellationToken ct)
    {
        var keys = (await client.GetPublicKeysAsync(userId, ct)).Keys;
        KeyInfo Role(string role) => keys.FirstOrDefault(k => k.Role == role && k.BackupOf.Length == 0)
            ?? throw new MigrationException(ExitCodes.BadInput, $"the daemon has no {role} key configured for {userId}; configure the user's master (with a backupOf copy), self_signing and user_signing keys first");
        var master = Role("master");
        var backups = keys.Where(k => k.BackupOf == master.Name).ToList();
        KeyInfo? backup = null;
        if (backupName is not null)
        {
            backup = backups.FirstOrDefault(k => k.Name == backupName)
                ?? throw new MigrationException(ExitCodes.BadInput, $"'{backupName}' is not configured as a backup of {master.Name} (backupOf) in the daemon");
        }
        else if (!noBackup)
        {
            backup = backups.Count switch
            {
                1 => backups[0],
                0 => throw new MigrationException(ExitCodes.BadInput, $"the daemon has no backup of {master.Name} configured (a key with backupOf: {master.Name} on another token): the master key would then exist on one token only. Configure one, or accept that with --no-master-backup"),
                _ => throw new MigrationException(ExitCodes.BadInput, $"{master.Name} has several backups configured ({string.Join(", ", backups.Select(b => b.Name))}): name one with --master-backup"),
            };
        }

        var identity = new DaemonIdentity(master, backup, Role("self_signing"), Role("user_signing"));
        var status = await client.Admin.TokenStatusAsync(new TokenStatusRequest(), cancellationToken: ct);
        foreach (var key in identity.All)
        {
            var token = status.Tokens.FirstOrDefault(t => t.Name == key.Token);
            if (token is not { Present: true })
            {
                throw new MigrationException(ExitCodes.Unavailable, $"token {key.Token} (of key {key.Name}) is not present{(token?.Error is { Length: > 0 } e ? ": " + e : string.Empty)}; connect it and run this again (nothing was changed)");
            }
        }

        return identity;
    }

    public IEnumerable<KeyInfo> All => new[] { Master, Backup, SelfSigning, UserSigning }.OfType<KeyInfo>();

    /// <summary>PKCS#11 tokens take no imported keys today (Pkcs11Token refuses: non-extractable imports are token-specific).</summary>
    public static void RequireImportable(KeyInfo key, string what)
    {
        if (key.TokenKind == "pkcs11")
        {
            throw new MigrationException(ExitCodes.BadInput,
                $"{what} '{key.Name}' is on PKCS#11 token {key.Token}, and importing a key into a PKCS#11 token is refused today (whether a token keeps an imported key non-extractable is token-specific). " +
                "Configure that key on a YubiKey (PIV) for the migration; nothing was changed");
        }
    }
}
