using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Grpc.Core;
using KeyCustody.Client;
using KeyCustody.Contract.Attestation;
using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Protos.V1;

namespace KeyCustody.Cli.Provisioning;

/// <summary>
/// <c>keycustody provision --user ID</c>: from blank tokens to a cross-signing identity, through the daemon.
/// Generates the user's configured master, self-signing and user-signing keys on their tokens, checks each
/// attestation against roots the operator trusts, has the master key sign the other two (touch prompts shown),
/// and writes the /keys/device_signing/upload body and a provisioning record. <c>--rotate ssk|usk</c> replaces
/// one of those; <c>--rotate master</c> makes a new identity and says so.
/// </summary>
internal static class ProvisionCommand
{
    private static readonly string[] PinPolicies = ["default", "never", "once", "always"];
    private static readonly string[] TouchPolicies = ["default", "never", "always", "cached"];
    private static readonly string[] ShortNames = ["master", "ssk", "usk"];

    public static Command Build(Option<string> socket, Option<bool> json)
    {
        var user = new Option<string>("--user") { Description = "the Matrix user whose keys to make (their keys must be configured in the daemon)", Required = true };
        var roots = new Option<string[]>("--attestation-root") { Description = "PEM file of a root CA trusted for PIV attestation (Yubico's, or hw-sim's `keycustody-hwsim root-cert`); repeatable", AllowMultipleArgumentsPerToken = true };
        var extra = new Option<string[]>("--attestation-intermediate") { Description = "PEM file of an intermediate CA not carried by the card (YubiKey 5.7.4+); repeatable", AllowMultipleArgumentsPerToken = true };
        var unattested = new Option<bool>("--allow-unattested") { Description = "continue for keys whose token has no attestation (PKCS#11); the record says so" };
        var rotate = new Option<string?>("--rotate") { Description = "replace one existing key: ssk, usk, or master (a new identity)" };
        var confirm = new Option<bool>("--confirm-new-identity") { Description = "required with --rotate master" };
        var masterSource = new Option<string>("--master") { Description = "generate: make the master key on its token (default); import: make a seed in memory and import it into the master key's token and its backup", DefaultValueFactory = _ => "generate" };
        masterSource.AcceptOnlyFromAmong("generate", "import");
        var backup = new Option<string?>("--master-backup") { Description = "with --master import: the configured backup key (backupOf the master key) that gets the same seed" };
        var confirmCopy = new Option<bool>("--confirm-master-copy") { Description = "with --master import: accept that the master seed exists in this machine's memory for a moment (run it offline)" };
        var outDir = new Option<string>("--out") { Description = "directory for the upload body and the provisioning record", DefaultValueFactory = _ => "." };
        var policy = new Dictionary<string, (Option<string> Pin, Option<string> Touch)>();
        // Every key whose signatures need a person: a touch for each one. "cached" (one touch covers 15 s of that caller's
        // requests on the card) is the operator's explicit choice (docs/threat-model.md).
        foreach (var (role, pin, touch) in new[] { ("master", "always", "always"), ("ssk", "never", "always"), ("usk", "never", "always") })
        {
            var p = new Option<string>($"--{role}-pin") { Description = $"PIN policy of the {role} key", DefaultValueFactory = _ => pin };
            p.AcceptOnlyFromAmong(PinPolicies);
            var t = new Option<string>($"--{role}-touch") { Description = $"touch policy of the {role} key (cached: one touch covers that caller's requests for 15 s)", DefaultValueFactory = _ => touch };
            t.AcceptOnlyFromAmong(TouchPolicies);
            policy[role] = (p, t);
        }

        var cmd = new Command("provision", "generate a user's cross-signing keys on their tokens, check attestations, sign, write the upload body")
        {
            user, roots, extra, unattested, rotate, confirm, masterSource, backup, confirmCopy, outDir,
        };
        foreach (var (p, t) in policy.Values)
        {
            cmd.Options.Add(p);
            cmd.Options.Add(t);
        }

        cmd.SetAction(async (r, ct) =>
        {
            var request = new Request(
                r.GetValue(user)!,
                LoadCertificates(r.GetValue(roots) ?? [], "--attestation-root"),
                LoadCertificates(r.GetValue(extra) ?? [], "--attestation-intermediate"),
                r.GetValue(unattested),
                r.GetValue(rotate),
                r.GetValue(confirm),
                r.GetValue(outDir)!,
                policy.ToDictionary(kv => kv.Key, kv => (r.GetValue(kv.Value.Pin)!, r.GetValue(kv.Value.Touch)!)),
                r.GetValue(masterSource) == "import",
                r.GetValue(backup),
                r.GetValue(confirmCopy))
            {
                PinsGiven = policy.Where(kv => r.GetResult(kv.Value.Pin) is { Implicit: false }).Select(kv => kv.Key).ToHashSet(),
            };
            using var client = DaemonSocket.Connect(DaemonSocket.Chosen(r, socket));
            var result = await RunAsync(client, request, ct);
            if (r.GetValue(json))
            {
                Console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(CanonicalJson.Encode(result)));
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }

    internal sealed record Request(
        string User,
        X509Certificate2Collection Roots,
        X509Certificate2Collection Intermediates,
        bool AllowUnattested,
        string? Rotate,
        bool ConfirmNewIdentity,
        string OutDirectory,
        Dictionary<string, (string Pin, string Touch)> Policies,
        bool ImportMaster,
        string? MasterBackup,
        bool ConfirmMasterCopy)
    {
        /// <summary>What the attestation gate checks keys against.</summary>
        public AttestationOptions Attestation => new(Roots, Intermediates, AllowUnattested);

        /// <summary>The roles whose --ROLE-pin the operator gave (the others take their default, adapted to the token).</summary>
        public IReadOnlySet<string> PinsGiven { get; init; } = new HashSet<string>();
    }

    private static async Task<JsonObject> RunAsync(KeyCustodyClient client, Request request, CancellationToken ct)
    {
        if (request.Rotate is not (null or "ssk" or "usk" or "master"))
        {
            throw new UsageException("--rotate takes ssk, usk or master");
        }

        if (request.Rotate == "master" && !request.ConfirmNewIdentity)
        {
            throw new UsageException("--rotate master replaces the identity itself: every peer will see a new master key, everyone who verified you must verify you again, and your devices must be cross-signed again. Add --confirm-new-identity if that is what you want");
        }

        if (request.Roots.Count == 0 && !request.AllowUnattested)
        {
            throw new UsageException("give --attestation-root (the PEM root CA that PIV attestations must chain to), or --allow-unattested");
        }

        if (request.ImportMaster && request.MasterBackup is null)
        {
            throw new UsageException("--master import needs --master-backup KEY: the point of importing is a second token with the same master key");
        }

        if (request.ImportMaster && !request.ConfirmMasterCopy)
        {
            throw new UsageException("--master import creates the master key's seed in this machine's memory before it goes to the two tokens; " +
                "anything that can read this process's memory meanwhile could copy the identity. Run it on an offline machine and add --confirm-master-copy");
        }

        var keys = (await client.GetPublicKeysAsync(request.User, ct)).Keys.Where(k => k.BackupOf.Length == 0).ToList();
        var roles = new[] { ("master", "master"), ("ssk", "self_signing"), ("usk", "user_signing") };
        var byRole = new Dictionary<string, KeyInfo>();
        foreach (var (shortName, role) in roles)
        {
            byRole[shortName] = keys.FirstOrDefault(k => k.Role == role)
                ?? throw new UsageException($"the daemon has no {role} key configured for {request.User}; add one to its configuration first");
        }

        if (byRole["master"].Token == byRole["ssk"].Token || byRole["master"].Token == byRole["usk"].Token)
        {
            Console.Error.WriteLine($"warning: the master key shares token {byRole["master"].Token} with another key; a master key is best alone on its own token");
        }

        // The key being rotated is replaced; keys not generated yet are made; existing ones are kept, but only once they
        // pass the same checks again: nothing is built on a key that failed them in an earlier run.
        var toGenerate = byRole.Where(kv => kv.Key == request.Rotate || kv.Value.PublicKey.Length == 0).Select(kv => kv.Key).ToList();
        // With nothing to build, the existing keys are still checked again (one that fails is named, exit 3: issue 12's
        // re-run), quietly, so a provisioned user's re-run ends in its one error: line.
        var nothingToBuild = request.Rotate is null && toGenerate.Count == 0;
        var record = new List<JsonValue>();
        var gate = new AttestationGate(client, request.Attestation, GateCeremony.Provision) { Quiet = nothingToBuild };
        foreach (var shortName in ShortNames.Where(n => !toGenerate.Contains(n)))
        {
            record.Add(await gate.RecheckExistingAsync(byRole[shortName], shortName, ct));
        }

        if (nothingToBuild)
        {
            throw new UsageException($"every cross-signing key of {request.User} already exists; this user is already provisioned (use --rotate to replace a key)");
        }

        foreach (var shortName in new[] { "master", "ssk", "usk" })
        {
            var key = byRole[shortName];
            if (!toGenerate.Contains(shortName))
            {
                continue;
            }

            var (pin, touch) = request.Policies[shortName];
            pin = PinDefaults.For(pin, request.PinsGiven.Contains(shortName), key.TokenKind, $"{shortName} key");

            if (shortName == "master" && request.ImportMaster)
            {
                record.Add(await ImportMaster(client, gate, request, key, pin, touch, ct));
                continue;
            }

            Console.Error.WriteLine($"generating the {shortName} key '{key.Name}' on token {key.Token} (PIN {pin}, touch {touch})");
            GenerateKeyResponse generated;
            try
            {
                generated = await client.Admin.GenerateKeyAsync(new GenerateKeyRequest { Key = key.Name, PinPolicy = pin, TouchPolicy = touch, Overwrite = request.Rotate == shortName }, cancellationToken: ct);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.AlreadyExists)
            {
                throw new UsageException($"{key.Name} already exists on its token; this user is already provisioned (use --rotate to replace a key)");
            }

            record.Add(await gate.AdmitGeneratedAsync(key, shortName, generated, pin, touch, ct));
        }

        var master = (await client.GetPublicKeysAsync(request.User, ct)).Keys.Single(k => k.Role == "master" && k.BackupOf.Length == 0);
        var masterKey = Ed25519PublicKey.FromBase64(master.PublicKey);
        foreach (var (shortName, usage) in new[] { ("ssk", KeyUsage.SelfSigning), ("usk", KeyUsage.UserSigning) })
        {
            if (!toGenerate.Contains("master") && !toGenerate.Contains(shortName))
            {
                continue;
            }

            var key = (await client.GetPublicKeysAsync(request.User, ct)).Keys.Single(k => k.Name == byRole[shortName].Name);
            var obj = CrossSigningKey.Create(request.User, usage, Ed25519PublicKey.FromBase64(key.PublicKey)).Json;
            var signed = await KeyCustodyClient.FollowAsync(
                client.Custody.SignJson(new SignJsonRequest { Key = master.Name, Json = ByteString.CopyFrom(CanonicalJson.Encode(obj)) }, cancellationToken: ct),
                Progress.Show,
                ct);
            var check = CrossSigningKey.Parse(CanonicalJson.ParseObject(signed.SignedJson[0].Span), usage).VerifySignedBy(request.User, masterKey);
            if (!check.IsValid)
            {
                throw new AttestationMismatchException($"the master key's signature on the {usage.Describe()} does not verify: {check.Reason}");
            }
        }

        var publicKeys = await client.GetPublicKeysAsync(request.User, ct);
        if (publicKeys.Missing.Count > 0)
        {
            throw new AttestationMismatchException("the upload body is incomplete: " + string.Join("; ", publicKeys.Missing));
        }

        Directory.CreateDirectory(request.OutDirectory);
        var bodyPath = Path.Combine(request.OutDirectory, "device-signing-upload.json");
        var recordPath = Path.Combine(request.OutDirectory, "provisioning-record.json");
        File.WriteAllBytes(bodyPath, publicKeys.DeviceSigningUpload.ToByteArray());
        var result = JsonObject.Of(
            ("user_id", request.User),
            ("time", DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)),
            ("operation", request.Rotate is null ? "provision" : "rotate " + request.Rotate),
            ("master_key", masterKey.Base64),
            ("keys", new JsonArray(record)),
            ("device_signing_upload", bodyPath));
        File.WriteAllBytes(recordPath, CanonicalJson.Encode(result));
        Console.Error.WriteLine($"wrote {bodyPath} and {recordPath}");
        if (request.Rotate == "master")
        {
            Console.Error.WriteLine("NEW IDENTITY: after publishing, every peer sees a new master key for " + request.User +
                ". Those who verified you will be warned and must verify you again; cross-sign your devices again with the self-signing key.");
        }

        return result;
    }

    /// <summary>The backup ceremony: one seed, made here, imported into the master key's token and its backup, then wiped.</summary>
    private static async Task<JsonObject> ImportMaster(KeyCustodyClient client, AttestationGate gate, Request request, KeyInfo master, string pin, string touch, CancellationToken ct)
    {
        var all = (await client.GetPublicKeysAsync(request.User, ct)).Keys;
        var backup = all.FirstOrDefault(k => k.Name == request.MasterBackup && k.BackupOf == master.Name)
            ?? throw new UsageException($"'{request.MasterBackup}' is not configured as a backup of {master.Name} (backupOf) in the daemon");
        Console.Error.WriteLine($"importing one new master seed into '{master.Name}' (token {master.Token}) and '{backup.Name}' (token {backup.Token}) (PIN {pin}, touch {touch})");
        var seed = GC.AllocateArray<byte>(32, pinned: true);
        GenerateKeyResponse primary, copy;
        try
        {
            RandomNumberGenerator.Fill(seed);
            var wrapped = UnsafeByteOperations.UnsafeWrap(seed);
            var overwrite = request.Rotate == "master";
            primary = await client.Admin.ImportKeyAsync(new ImportKeyRequest { Key = master.Name, Seed = wrapped, PinPolicy = pin, TouchPolicy = touch, Overwrite = overwrite }, cancellationToken: ct);
            copy = await client.Admin.ImportKeyAsync(new ImportKeyRequest { Key = backup.Name, Seed = wrapped, PinPolicy = pin, TouchPolicy = touch, Overwrite = overwrite }, cancellationToken: ct);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }

        if (primary.PublicKey != copy.PublicKey)
        {
            throw new AttestationMismatchException($"the backup token reports master key {copy.PublicKey}, the primary {primary.PublicKey}: the backup is not a copy");
        }

        // Imported keys are attested by nobody: the operator's explicit choice of this ceremony is the acceptance, and the
        // daemon records it (audited) so both copies may sign for the identity.
        foreach (var (copyOf, response) in new[] { (master, primary), (backup, copy) })
        {
            await gate.AcceptImportedAsync(copyOf, response,
                "master-key backup ceremony: one seed made by keycustody provision --master import --confirm-master-copy, imported into both tokens", ct);
        }

        var origins = (await client.GetPublicKeysAsync(request.User, ct)).Keys.Where(k => k.Name == master.Name || k.Name == backup.Name).Select(k => k.Origin).ToList();
        Console.Error.WriteLine($"master key {primary.PublicKey} is on both tokens; the seed is wiped from memory; the tokens report origin: {string.Join(", ", origins)}");
        return JsonObject.Of(
            ("role", master.Role),
            ("name", master.Name),
            ("token", master.Token),
            ("token_serial", master.TokenSerial),
            ("backup", JsonObject.Of(("name", backup.Name), ("token", backup.Token), ("token_serial", backup.TokenSerial))),
            ("public_key", primary.PublicKey),
            ("pin_policy", primary.PinPolicy),
            ("touch_policy", primary.TouchPolicy),
            ("attestation", "none: imported keys cannot be attested (a card attests only keys it generated); accepted for the backup ceremony; origin reported: " + string.Join(", ", origins)));
    }

    private static X509Certificate2Collection LoadCertificates(string[] files, string option)
    {
        var collection = new X509Certificate2Collection();
        foreach (var file in files)
        {
            try
            {
                collection.ImportFromPemFile(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                throw new UsageException($"{option} {file}: {e.Message}");
            }
        }

        return collection;
    }
}
