using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KeyCustody.Cli.Provisioning;
using KeyCustody.Cli.Publishing;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.SecretStorage;

namespace KeyCustody.Cli.Migration;

/// <summary>
/// <c>keycustody migrate</c>: moves an existing Matrix cross-signing identity from secret storage (4S) onto the
/// daemon's hardware tokens, keeping the master key (so nobody has to verify the user again). See
/// <see cref="MigrationRun"/> for the order of the steps.
/// </summary>
internal static class MigrateCommand
{
    public static Command Build(Option<string> socket)
    {
        var user = new Option<string>("--user") { Description = "the Matrix user whose identity to migrate (their keys must be configured in the daemon)", Required = true };
        var homeserver = new HomeserverOptions();
        var recoveryKeyFile = new Option<string?>("--recovery-key-file") { Description = "file holding the secret storage recovery key (spaces allowed); not readable by others" };
        var passphraseFile = new Option<string?>("--passphrase-file") { Description = "file holding the secret storage passphrase (one line); not readable by others. Without either, it is asked on the terminal, without echo" };
        var importSigningKeys = new Option<bool>("--import-signing-keys") { Description = "import the existing self-signing and user-signing keys as they are, instead of making new ones on their tokens (nothing is then published or signed again)" };
        var erase = new Option<bool>("--erase-from-secret-storage") { Description = "after everything is checked, overwrite the three cross-signing secrets in secret storage with {\"encrypted\": {}}" };
        var backup = new Option<string?>("--master-backup") { Description = "the configured backup key (backupOf the master key) that gets the same master key; needed when several are configured" };
        var noBackup = new Option<bool>("--no-master-backup") { Description = "accept that the master key ends up on one token only (losing it loses the identity once secret storage is erased)" };
        var contacts = new Option<string[]>("--contact") { Description = "a user whose master key the old user-signing key signed (repeatable); everyone in the joined rooms is looked at anyway", AllowMultipleArgumentsPerToken = true };
        var noRooms = new Option<bool>("--no-contacts-from-rooms") { Description = "do not look for verified users in the joined rooms (only --contact)" };
        var roots = new Option<string[]>("--attestation-root") { Description = "PEM file of a root CA trusted for PIV attestation of the new keys; repeatable", AllowMultipleArgumentsPerToken = true };
        var extra = new Option<string[]>("--attestation-intermediate") { Description = "PEM file of an intermediate CA not carried by the card; repeatable", AllowMultipleArgumentsPerToken = true };
        var unattested = new Option<bool>("--allow-unattested") { Description = "accept keys whose token has no attestation (recorded by the daemon as an acceptance), or go without --attestation-root (the daemon's own check then decides)" };
        var passwordFile = new Option<string?>("--password-file") { Description = "for scripts: the account password, when the homeserver asks for it to replace the signing keys (otherwise asked without echo)" };
        var wait = new Option<int?>("--wait-seconds") { Description = "for scripts: when the homeserver asks for approval at a URL (m.oauth), wait this long instead of for Enter" };
        var cmd = new Command("migrate", "move an existing cross-signing identity from secret storage (4S) onto the daemon's tokens, keeping the master key")
        {
            user, recoveryKeyFile, passphraseFile, importSigningKeys, erase, backup, noBackup, contacts, noRooms, roots, extra, unattested, passwordFile, wait,
        };
        homeserver.AddTo(cmd);
        var policies = new Dictionary<string, (Option<string> Pin, Option<string> Touch)>();
        foreach (var (role, pin, touch) in new[] { ("master", "always", "always"), ("ssk", "never", "cached"), ("usk", "never", "always") })
        {
            var p = new Option<string>($"--{role}-pin") { Description = $"PIN policy of the {role} key on its token", DefaultValueFactory = _ => pin };
            p.AcceptOnlyFromAmong(KeyPolicies.PinPolicies);
            var t = new Option<string>($"--{role}-touch") { Description = $"touch policy of the {role} key on its token", DefaultValueFactory = _ => touch };
            t.AcceptOnlyFromAmong(KeyPolicies.TouchPolicies);
            policies[role] = (p, t);
            cmd.Options.Add(p);
            cmd.Options.Add(t);
        }

        cmd.SetAction(async (r, ct) =>
        {
            KeyPolicies Policy(string role) => new(r.GetValue(policies[role].Pin)!, r.GetValue(policies[role].Touch)!) { PinGiven = r.GetResult(policies[role].Pin) is { Implicit: false } };
            if (r.GetValue(backup) is not null && r.GetValue(noBackup))
            {
                throw new UsageException("give --master-backup or --no-master-backup, not both");
            }

            if (!r.GetValue(importSigningKeys) && (r.GetValue(roots) ?? []).Length == 0 && !r.GetValue(unattested))
            {
                throw new UsageException("give --attestation-root (the PEM root CA that the attestations of the new signing keys must chain to), or --allow-unattested");
            }

            if (r.GetValue(wait) is < 0 or > 3600)
            {
                throw new UsageException("--wait-seconds must be between 0 and 3600");
            }

            if (r.GetValue(passwordFile) is { } pf)
            {
                SecretFile.Check(pf, "--password-file");
            }

            var request = new MigrationRequest(
                r.GetValue(user)!,
                r.GetValue(backup),
                r.GetValue(noBackup),
                r.GetValue(importSigningKeys),
                r.GetValue(erase),
                r.GetValue(contacts) ?? [],
                !r.GetValue(noRooms),
                Policy("master"),
                Policy("ssk"),
                Policy("usk"),
                new AttestationOptions(Certificates(r.GetValue(roots), "--attestation-root"), Certificates(r.GetValue(extra), "--attestation-intermediate"), r.GetValue(unattested)));
            Matrix.MatrixIds.RequireUserId(request.UserId, "--user");
            using var hs = homeserver.Open(r);
            using var input = UnlockInput.FromFiles(r.GetValue(recoveryKeyFile), r.GetValue(passphraseFile));
            using var client = DaemonSocket.Connect(DaemonSocket.Chosen(r, socket));
            var prompts = new ConsoleAuthPrompts(r.GetValue(passwordFile), r.GetValue(wait), Console.Error);
            try
            {
                var report = await MigrationRun.RunAsync(client, hs, request, input, prompts, ct);
                Print(report, JsonFlag.Wanted(r));
                return ExitCodes.Ok;
            }
            catch (Exception e) when (e is MigrationException or HomeserverException or SecretStorageException)
            {
                Progress.Stop();
                var code = e switch
                {
                    MigrationException m => m.ExitCode,
                    HomeserverException h => h.ExitCode,
                    SecretStorageException { Kind: SecretStorageErrorKind.WrongKey or SecretStorageErrorKind.RecoveryKeyFormat } => ExitCodes.BadInput,
                    _ => ExitCodes.No,
                };
                Console.Error.WriteLine("error: " + HomeserverResponse.OneLine(e.Message));
                return code;
            }
        });
        return cmd;
    }

    private static void Print(JsonObject report, bool json)
    {
        if (json)
        {
            Console.Out.WriteLine(report.ToString());
            return;
        }

        Console.Out.WriteLine($"migrated the cross-signing identity of {report.GetString("user_id")}: master key {report.GetString("master_key")} (unchanged), " +
            $"self-signing key {report.GetString("self_signing_key")}, user-signing key {report.GetString("user_signing_key")} ({report.GetString("signing_keys")})");
        foreach (var line in report.GetArray("done")!.OfType<JsonString>())
        {
            Console.Out.WriteLine("  " + line.Value);
        }

        foreach (var line in report.GetArray("skipped")!.OfType<JsonString>())
        {
            Console.Out.WriteLine("  skipped: " + line.Value);
        }

        var erased = report.GetArray("erased_from_secret_storage")!.OfType<JsonString>().Select(s => s.Value).ToList();
        if (erased.Count == 0)
        {
            Console.Out.WriteLine("  secret storage still holds the three private keys (software copies): run again with --erase-from-secret-storage once you are sure");
            return;
        }

        foreach (var line in SecretStorageEraser.Notice(report.GetString("user_id")!, erased))
        {
            Console.Out.WriteLine("  " + line);
        }
    }

    private static X509Certificate2Collection Certificates(string[]? files, string option)
    {
        var collection = new X509Certificate2Collection();
        foreach (var file in files ?? [])
        {
            try
            {
                collection.ImportFromPemFile(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
            {
                throw new UsageException($"{option} {file}: {e.Message}");
            }
        }

        return collection;
    }
}
