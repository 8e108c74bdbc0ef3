using KeyCustody.Cli.Provisioning;
using KeyCustody.Cli.Publishing;
using KeyCustody.Client;
using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;

namespace KeyCustody.Cli.Migration;

/// <summary>
/// The migration, in the order that keeps a failure harmless: everything is read and checked first (the daemon's keys
/// and tokens, the 4S key against its MAC, the three secrets, the published identity, and every key already on a token
/// through provisioning's attestation gate), so a wrong recovery key, a mismatch or a key that cannot be trusted changes
/// nothing anywhere. Then the master key goes onto its tokens and the daemon accepts it (imported keys cannot be
/// attested); the self-signing and user-signing keys are made fresh on theirs and admitted as provision admits them (or
/// imported and accepted as they are); the master key signs them; they are published and what the old keys vouched for
/// is signed again; the result is checked against the homeserver; and only then, if asked, the three secrets are erased
/// from secret storage. Every step can be run again: what is already done is not done twice.
/// </summary>
internal static class MigrationRun
{
    public static async Task<JsonObject> RunAsync(KeyCustodyClient client, Homeserver homeserver, MigrationRequest request, UnlockInput? input, IAuthPrompts prompts, CancellationToken ct)
    {
        var user = request.UserId;
        var daemon = await DaemonIdentity.LoadAsync(client, user, request.MasterBackup, request.NoMasterBackup, ct);
        var masterTargets = new[] { daemon.Master, daemon.Backup }.OfType<Protos.V1.KeyInfo>().ToList();
        masterTargets.ForEach(k => DaemonIdentity.RequireImportable(k, "the master key"));
        if (request.ImportSigningKeys)
        {
            DaemonIdentity.RequireImportable(daemon.SelfSigning, "the self-signing key");
            DaemonIdentity.RequireImportable(daemon.UserSigning, "the user-signing key");
        }

        var accountData = new AccountData(homeserver, user);
        using var secrets = await SecretStorageSecrets.OpenAsync(accountData, user, input, ct);
        var master = secrets.PublicKeys[KeyUsage.Master];
        Console.Error.WriteLine($"secret storage key '{secrets.KeyId}' opened: master key {master.Base64}, self-signing key {secrets.PublicKeys[KeyUsage.SelfSigning].Base64}, user-signing key {secrets.PublicKeys[KeyUsage.UserSigning].Base64}");

        var contacts = await Contacts.FindAsync(homeserver, user, request.Contacts, request.ContactsFromRooms, ct);
        var before = await PublishedIdentity.QueryAsync(homeserver, user, contacts, ct);
        CheckAgainstPublished(request, daemon, secrets, before);
        var plan = ResignPlan.From(before);

        var gate = new AttestationGate(client, request.Attestation, MigrationCeremony.For(request));
        string Reason(KeyUsage usage) => MigrationCeremony.Reason(user, usage, homeserver.BaseUri, secrets.KeyId);
        var entries = await ExistingKeys.RecheckAsync(gate, daemon, secrets, Reason, ct);

        var done = new List<string>();
        async Task Import(Protos.V1.KeyInfo key, KeyUsage usage, KeyPolicies policies)
        {
            var (line, entry) = await KeyImport.RunAsync(client, gate, key, secrets.Seed(usage), secrets.PublicKeys[usage], policies, Reason(usage), ct);
            done.Add(line);
            entries.AddRange(entry is null ? [] : [entry]);
        }

        foreach (var key in masterTargets)
        {
            await Import(key, KeyUsage.Master, request.Master);
        }

        if (request.ImportSigningKeys)
        {
            await Import(daemon.SelfSigning, KeyUsage.SelfSigning, request.SelfSigning);
            await Import(daemon.UserSigning, KeyUsage.UserSigning, request.UserSigning);
        }

        // The seeds are not needed any more: zeroed now, not at the end.
        secrets.Dispose();
        Console.Error.WriteLine("the private keys read from secret storage are wiped from this process's memory");

        Ed25519PublicKey ssk, usk;
        if (!request.ImportSigningKeys)
        {
            var (s, sDone, sEntry) = await FreshSigningKeys.RunAsync(client, gate, daemon.SelfSigning, "ssk", before.SelfSigning?.PublicKey.Base64, request.SelfSigning, ct);
            var (u, uDone, uEntry) = await FreshSigningKeys.RunAsync(client, gate, daemon.UserSigning, "usk", before.UserSigning?.PublicKey.Base64, request.UserSigning, ct);
            done.Add(sDone);
            done.Add(uDone);
            entries.AddRange(new[] { sEntry, uEntry }.OfType<JsonObject>());
            (ssk, usk) = (Ed25519PublicKey.FromBase64(s), Ed25519PublicKey.FromBase64(u));
        }
        else
        {
            // Public keys only: they outlive the wiped seeds.
            (ssk, usk) = (secrets.PublicKeys[KeyUsage.SelfSigning], secrets.PublicKeys[KeyUsage.UserSigning]);
        }

        var sskObject = await MasterSignatures.SignAsync(client, daemon.Master.Name, master, user, KeyUsage.SelfSigning, ssk, ct);
        var uskObject = await MasterSignatures.SignAsync(client, daemon.Master.Name, master, user, KeyUsage.UserSigning, usk, ct);

        var stages = new List<string>();
        var signatures = new List<SignatureResult>();
        if (!request.ImportSigningKeys && !(before.SelfSigning?.PublicKey.Equals(ssk) == true && before.UserSigning?.PublicKey.Equals(usk) == true))
        {
            var body = JsonObject.Of(("self_signing_key", sskObject.Json), ("user_signing_key", uskObject.Json));
            stages.AddRange(await DeviceSigningPublisher.PublishAsync(homeserver, body, user, prompts, ct));
            done.Add($"published the new self-signing key {ssk.Base64} and user-signing key {usk.Base64}" + (stages.Count > 0 ? $" (authenticated with {string.Join(", ", stages)})" : string.Empty));
            signatures = await Resign.RunAsync(client, homeserver, user, plan, (daemon.SelfSigning.Name, ssk), (daemon.UserSigning.Name, usk), ct);
            done.Add($"signed again with the new keys: {plan.Devices.Count} device(s), {plan.Contacts.Count} other user(s); the homeserver accepted all {signatures.Count}");
        }

        var after = await PublishedIdentity.QueryAsync(homeserver, user, contacts, ct);
        var problems = MigrationCheck.Problems(before, after, master, ssk, usk);
        if (problems.Count > 0)
        {
            throw new MigrationException(ExitCodes.No, "the homeserver does not show the migrated identity as it should (secret storage was left as it is): " + string.Join("; ", problems));
        }

        var trusted = MigrationCheck.TrustedDevices(after, master);
        done.Add($"checked: master key {master.Base64} unchanged; {trusted} device(s) trusted as before");
        var erased = request.Erase ? await SecretStorageEraser.EraseAsync(accountData, user, ct) : [];

        return JsonObject.Of(
            ("user_id", user),
            ("master_key", master.Base64),
            ("self_signing_key", ssk.Base64),
            ("user_signing_key", usk.Base64),
            ("signing_keys", request.ImportSigningKeys ? "imported from secret storage" : "new, made on their tokens"),
            ("done", new JsonArray(done.Select(d => (JsonValue)d).ToArray())),
            ("keys", new JsonArray(entries.Select(e => (JsonValue)e).ToArray())),
            ("skipped", new JsonArray(plan.Skipped.Select(d => (JsonValue)d).ToArray())),
            ("authentication", new JsonArray(stages.Select(s => (JsonValue)s).ToArray())),
            ("erased_from_secret_storage", new JsonArray(erased.Select(e => (JsonValue)e).ToArray())));
    }

    /// <summary>Nothing is imported that is not what the homeserver publishes, and nothing replaces a different key on a token.</summary>
    private static void CheckAgainstPublished(MigrationRequest request, DaemonIdentity daemon, SecretStorageSecrets secrets, PublishedIdentity published)
    {
        var master = secrets.PublicKeys[KeyUsage.Master];
        if (!published.Master.PublicKey.Equals(master))
        {
            throw new MigrationException(ExitCodes.No, $"the master key in secret storage ({master.Base64}) is not the published one ({published.Master.PublicKey.Base64}): secret storage is out of date; nothing was imported");
        }

        foreach (var (usage, key) in new[] { (KeyUsage.SelfSigning, published.SelfSigning), (KeyUsage.UserSigning, published.UserSigning) })
        {
            var stored = secrets.PublicKeys[usage];
            if (key?.PublicKey.Equals(stored) == true)
            {
                continue;
            }

            var message = $"the {usage.Describe()} in secret storage ({stored.Base64}) is not the published one ({key?.PublicKey.Base64 ?? "none"})";
            if (request.ImportSigningKeys)
            {
                throw new MigrationException(ExitCodes.No, message + ": it cannot be imported as it is; nothing was imported (run without --import-signing-keys to make new ones)");
            }

            Console.Error.WriteLine("note: " + message + "; a new one is made on its token anyway");
        }

        foreach (var key in new[] { daemon.Master, daemon.Backup }.OfType<Protos.V1.KeyInfo>())
        {
            if (key.PublicKey.Length > 0 && key.PublicKey != master.Base64)
            {
                throw new MigrationException(ExitCodes.Refused, $"'{key.Name}' (token {key.Token}) already holds another key ({key.PublicKey}), not this identity's master key {master.Base64}: migrate does not overwrite keys; nothing was changed");
            }
        }

        if (request.ImportSigningKeys)
        {
            foreach (var (key, usage) in new[] { (daemon.SelfSigning, KeyUsage.SelfSigning), (daemon.UserSigning, KeyUsage.UserSigning) })
            {
                if (key.PublicKey.Length > 0 && key.PublicKey != secrets.PublicKeys[usage].Base64)
                {
                    throw new MigrationException(ExitCodes.Refused, $"'{key.Name}' (token {key.Token}) already holds another key ({key.PublicKey}): migrate does not overwrite keys; nothing was changed");
                }
            }
        }
    }
}
