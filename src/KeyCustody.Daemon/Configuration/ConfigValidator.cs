using System.Globalization;
using KeyCustody.Daemon.Security;
using KeyCustody.HwSim;
using KeyCustody.Matrix;
using KeyCustody.Matrix.Policy;
using KeyCustody.Matrix.Signing;

namespace KeyCustody.Daemon.Configuration;

/// <summary>Refused configuration: every problem, each naming its setting.</summary>
public sealed class ConfigException(IReadOnlyList<string> problems)
    : Exception(problems.Count == 1 ? "invalid configuration: " + problems[0] : "invalid configuration:\n  " + string.Join("\n  ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>Checks every setting and names the offending one, e.g. <c>tokens[1].module: ...</c>.</summary>
public static class ConfigValidator
{
    public static ValidatedConfig Validate(DaemonConfig c, string? configFile)
    {
        var problems = new List<string>();
        void Fail(string setting, string problem) => problems.Add($"{setting}: {problem}");

        if (configFile is not null)
        {
            CheckConfigFile(configFile, Fail);
        }

        var state = c.StateDirectory is { Length: > 0 } s ? Path.GetFullPath(s) : null;
        if (state is null)
        {
            Fail("stateDirectory", "required: the directory for the audit log and pinned keys");
        }
        else if (Directory.Exists(state) && (File.GetUnixFileMode(state) & (UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute | UnixFileMode.GroupWrite)) != 0)
        {
            Fail("stateDirectory", $"{state} is accessible to other users (mode {Convert.ToString((int)File.GetUnixFileMode(state), 8)}); chmod 0750 or stricter");
        }

        var socket = c.Listen.UnixSocket is { Length: > 0 } u ? Path.GetFullPath(u) : null;
        UnixFileMode socketMode = 0;
        try
        {
            socketMode = (UnixFileMode)Convert.ToInt32(c.Listen.SocketMode, 8);
            if ((socketMode & (UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
            {
                Fail("listen.socketMode", $"{c.Listen.SocketMode} lets every local user connect; use 0660 or stricter and a group");
            }
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            Fail("listen.socketMode", $"'{c.Listen.SocketMode}' is not an octal mode like 0660");
        }

        uint? socketGroup = null;
        if (c.Listen.SocketGroup is { Length: > 0 } g)
        {
            socketGroup = uint.TryParse(g, out var gid) ? gid : Posix.LookupGroup(g);
            if (socketGroup is null)
            {
                Fail("listen.socketGroup", $"no group named '{g}'");
            }
        }

        var tcp = ValidateTcp(c.Listen.Tcp, Fail);
        if (socket is null && tcp is null)
        {
            Fail("listen", "configure listen.unixSocket, listen.tcp, or both");
        }

        if (c.Limits.MaxJsonBytes is < 256 or > 16 * 1024 * 1024)
        {
            Fail("limits.maxJsonBytes", "must be between 256 and 16777216");
        }

        if (c.Limits.MaxJsonDepth is < 8 or > 128)
        {
            Fail("limits.maxJsonDepth", "must be between 8 and 128");
        }

        if (c.Limits.MaxBatch is < 1 or > 100_000)
        {
            Fail("limits.maxBatch", "must be between 1 and 100000");
        }

        if (c.Limits.MaxQueuePerToken is < 1 or > 10_000)
        {
            Fail("limits.maxQueuePerToken", "must be between 1 and 10000");
        }

        if (c.Limits.IdleConnectionSeconds is < 1 or > 3600)
        {
            Fail("limits.idleConnectionSeconds", "must be between 1 and 3600");
        }

        if (c.Limits.MaxConnectionsPerPeer is < 1 or > LimitsConfig.MaxConnections / 2)
        {
            Fail("limits.maxConnectionsPerPeer", $"must be between 1 and {LimitsConfig.MaxConnections / 2} (half the daemon's {LimitsConfig.MaxConnections} connections, so one peer cannot take them all)");
        }

        if (c.Presence.CachedTouchForOthers is not ("refuse" or "operator"))
        {
            Fail("presence.cachedTouchForOthers", $"'{c.Presence.CachedTouchForOthers}' is not one of refuse, operator");
        }

        if (c.Presence.ApprovalTimeoutSeconds is < 1 or > 86_400)
        {
            Fail("presence.approvalTimeoutSeconds", "must be between 1 and 86400");
        }

        var tokens = new List<TokenSettings>();

        // A token refused above (a bad PIN file, say) is reported once, there; its keys do not add "no token named".
        var refusedTokens = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < c.Tokens.Count; i++)
        {
            if (ValidateToken(c.Tokens[i], $"tokens[{i}]", Fail) is { } t)
            {
                if (tokens.Any(x => x.Name == t.Name))
                {
                    Fail($"tokens[{i}].name", $"'{t.Name}' is used twice");
                }

                // One card configured twice would be two tokens with two queues and two touch caches for one card.
                if (t.Serial is not null && tokens.FirstOrDefault(x => x.Kind == t.Kind && x.Serial == t.Serial) is { } same)
                {
                    Fail($"tokens[{i}].serial", $"{t.Serial} is token '{same.Name}' already: one card, one token");
                }

                tokens.Add(t);
            }
            else if (c.Tokens[i].Name is { Length: > 0 } refused)
            {
                refusedTokens.Add(refused);
            }
        }

        var keys = new List<KeySettings>();
        var indexes = new List<int>(); // keys[n] came from c.Keys[indexes[n]]: errors name the entry as written
        for (var i = 0; i < c.Keys.Count; i++)
        {
            if (c.Keys[i].Token is { } on && refusedTokens.Contains(on) && tokens.All(t => t.Name != on))
            {
                continue;
            }

            if (ValidateKey(c.Keys[i], $"keys[{i}]", tokens, c.AllowSoftwareMasterKey, Fail) is { } k)
            {
                if (keys.Any(x => x.Name == k.Name))
                {
                    Fail($"keys[{i}].name", $"'{k.Name}' is used twice");
                }

                if (keys.Any(x => x.Token == k.Token && x.KeyId == k.KeyId))
                {
                    Fail($"keys[{i}].keyId", $"{k.KeyId} on token {k.Token} is already configured as another key");
                }

                keys.Add(k);
                indexes.Add(i);
            }
        }

        for (var n = 0; n < keys.Count; n++)
        {
            if (keys[n].BackupOf is { } primaryName)
            {
                var primary = keys.FirstOrDefault(k => k.Name == primaryName);
                if (primary is null && c.Keys.Any(k => k.Name == primaryName))
                {
                    continue; // The primary is configured but refused: its own error says why; this entry is not wrong.
                }

                if (primary is null || primary.BackupOf is not null || primary.Role != keys[n].Role || primary.Owner != keys[n].Owner || primary.Token == keys[n].Token)
                {
                    Fail($"keys[{indexes[n]}].backupOf", $"'{primaryName}' must be another configured key of the same role and owner, not itself a backup, on another token");
                }
            }
        }

        var rules = new List<AccessRule>();
        for (var i = 0; i < c.Access.Count; i++)
        {
            if (ValidateRule(c.Access[i], $"access[{i}]", Fail) is { } r)
            {
                rules.Add(r);
            }
        }

        var access = new AccessRules(rules);
        DemoKeysChecks.Check(c, tokens, keys, access, Fail);

        if (c.JournalSocket is { } journal && !Path.IsPathFullyQualified(journal))
        {
            Fail("journalSocket", $"'{journal}' is not an absolute path");
        }

        var attestation = AttestationSettings.Validate(c.Attestation, Fail);
        var metrics = MetricsSettings.Validate(c.Metrics, socket, tcp, Fail);
        var auditPath = state is null ? null : Path.IsPathRooted(c.Audit.Path) ? c.Audit.Path : Path.Combine(state, c.Audit.Path);
        var simulatorRoot = state is null ? null : Path.GetFullPath(c.SimulatorRoot is { Length: > 0 } sr ? sr : "simulator-root.json", state);
        if (state is not null)
        {
            CheckStateFiles(state, auditPath!, simulatorRoot!, Fail);
        }

        if (problems.Count > 0)
        {
            throw new ConfigException(problems);
        }

        return new ValidatedConfig(state!, auditPath!, socket, socketMode, socketGroup, tcp, c.Limits, c.Presence, tokens, keys,
            access, c.AllowSoftwareMasterKey, c.LogFile is { Length: > 0 } lf ? Path.GetFullPath(lf) : null)
        {
            SimulatorRoot = simulatorRoot!,
            Attestation = attestation,
            JournalSocket = c.JournalSocket ?? ValidatedConfig.DefaultJournalSocket,
            Metrics = metrics,
        };
    }

    /// <summary>
    /// The files the daemon keeps and trusts (the audit log and its anchor, the pinned keys and their provenance, the
    /// identities, a simulator's root and cards): one that others can read, or that the group or others can write, is refused at start. Other files an
    /// operator keeps in the state directory (a log, exported certificates) are theirs to protect.
    /// </summary>
    private static void CheckStateFiles(string state, string auditPath, string simulatorRoot, Action<string, string> fail)
    {
        const UnixFileMode loose = UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.GroupWrite;
        var identities = Path.Combine(state, "identities");
        var owned = new List<string> { auditPath, Path.Combine(state, "pins.json"), Path.Combine(state, "audit-anchor.json"), Path.Combine(state, Keys.ProvenanceFile.Name), simulatorRoot };
        if (Directory.Exists(state))
        {
            owned.AddRange(Directory.EnumerateFiles(state, "*.card.json"));
        }

        if (Directory.Exists(identities))
        {
            owned.AddRange(Directory.EnumerateFiles(identities));
        }

        foreach (var file in owned.Where(File.Exists))
        {
            var mode = File.GetUnixFileMode(file);
            if ((mode & loose) != 0)
            {
                fail(file == auditPath ? "audit.path" : file == simulatorRoot ? "simulatorRoot" : "stateDirectory", $"{file} is open to other users (mode {Convert.ToString((int)mode, 8)}); chmod 0600 (the daemon creates its files that way)");
            }
        }
    }

    /// <summary>
    /// The configuration file is the access policy: whoever can write it decides who may sign, so group or others
    /// writing it is refused. It holds no secret (the validator refuses one), but it maps which principals may sign
    /// and approve with which key on which token serial, which only the daemon needs to read: others reading it is
    /// refused too. The daemon's group may read it (root:keycustody 0640).
    /// </summary>
    private static void CheckConfigFile(string path, Action<string, string> fail)
    {
        if (!File.Exists(path))
        {
            fail("config file", $"{path} does not exist");
            return;
        }

        var mode = File.GetUnixFileMode(path);
        var octal = Convert.ToString((int)mode, 8);
        if ((mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            fail("config file", $"{path} is writable by other users (mode {octal}): whoever writes it decides who may sign; chmod 0640 or stricter");
        }
        else if ((mode & UnixFileMode.OtherRead) != 0)
        {
            fail("config file", $"{path} is readable by other users (mode {octal}): it maps who may sign with which key, and only keycustodyd needs to read it; chmod 0640 (owner root, group keycustody) or 0600");
        }
    }

    private static TcpSettings? ValidateTcp(TcpConfig? tcp, Action<string, string> fail)
    {
        if (tcp is null || tcp.Endpoint is null)
        {
            return null;
        }

        var colon = tcp.Endpoint.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(tcp.Endpoint[(colon + 1)..], out var port) || port is < 1 or > 65535)
        {
            fail("listen.tcp.endpoint", $"'{tcp.Endpoint}' is not host:port");
            return null;
        }

        foreach (var (name, value) in new[] { ("certificate", tcp.Certificate), ("privateKey", tcp.PrivateKey), ("clientCa", tcp.ClientCa) })
        {
            if (string.IsNullOrEmpty(value))
            {
                fail($"listen.tcp.{name}", "required: TCP is served with mutual TLS only");
            }
            else if (!File.Exists(value))
            {
                fail($"listen.tcp.{name}", $"{value} does not exist");
            }
        }

        if (tcp.HandshakeTimeoutSeconds is < 1 or > 300)
        {
            fail("listen.tcp.handshakeTimeoutSeconds", "must be between 1 and 300");
        }

        if (tcp.PrivateKey is { } pk && File.Exists(pk) && (File.GetUnixFileMode(pk) & (UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            fail("listen.tcp.privateKey", $"{pk} is readable or writable by other users; chmod 0600");
        }

        return string.IsNullOrEmpty(tcp.Certificate) || string.IsNullOrEmpty(tcp.PrivateKey) || string.IsNullOrEmpty(tcp.ClientCa)
            ? null
            : new TcpSettings(tcp.Endpoint[..colon], port, tcp.Certificate, tcp.PrivateKey, tcp.ClientCa, tcp.HandshakeTimeoutSeconds);
    }

    /// <summary>A card serial: decimal digits, or hex after "0x" (an OpenPGP card whose serial is not all digits).</summary>
    private static uint? ParseSerial(string? text, Action<string, string> bad)
    {
        if (text is null)
        {
            return null;
        }

        var hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        if (uint.TryParse(hex ? text.AsSpan(2) : text.AsSpan(), hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture, out var serial))
        {
            return serial;
        }

        bad("serial", $"'{text}' is not a card serial: decimal digits, or hex as 0x1A2B3C4D (at most 32 bits)");
        return null;
    }

    private static TokenSettings? ValidateToken(TokenConfig t, string at, Action<string, string> fail)
    {
        var ok = true;
        void Bad(string setting, string problem)
        {
            ok = false;
            fail($"{at}.{setting}", problem);
        }

        if (string.IsNullOrWhiteSpace(t.Name))
        {
            Bad("name", "required");
        }

        TokenKind kind = default;
        switch (t.Kind)
        {
            case "piv": kind = TokenKind.Piv; break;
            case "openpgp": kind = TokenKind.OpenPgp; break;
            case "pkcs11": kind = TokenKind.Pkcs11; break;
            case "software": kind = TokenKind.Software; break;
            case "simulator": kind = TokenKind.Simulator; break;
            default: Bad("kind", $"'{t.Kind}' is not one of piv, openpgp, pkcs11, software, simulator"); break;
        }

        var serial = ParseSerial(t.Serial, Bad);
        if (kind is TokenKind.Piv or TokenKind.Simulator && t.Serial is null)
        {
            Bad("serial", "required: YubiKeys are chosen by serial, never by reader");
        }

        if (kind == TokenKind.OpenPgp && t.Serial is null)
        {
            Bad("serial", "required: OpenPGP cards are chosen by the serial in their application id (a YubiKey's printed serial; gpg --card-status shows it), never by reader");
        }

        if (t.AdminPin is not null && kind != TokenKind.OpenPgp)
        {
            Bad("adminPin", "only OpenPGP tokens have an admin PIN (PIV tokens use managementKey)");
        }

        if (kind == TokenKind.Pkcs11)
        {
            if (string.IsNullOrEmpty(t.Module))
            {
                Bad("module", "required: the PKCS#11 module path");
            }
            else if (!Path.IsPathFullyQualified(t.Module))
            {
                // dlopen looks a bare name up in the loader's search path and a relative one from the working
                // directory: neither is the file checked here.
                Bad("module", $"'{t.Module}' is not an absolute path: the PKCS#11 module is code the daemon runs, loaded from the path as given");
            }
            else if (!File.Exists(t.Module))
            {
                Bad("module", $"{t.Module} does not exist");
            }
            else if ((File.GetUnixFileMode(t.Module) & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
            {
                // The module runs inside the daemon with the tokens' PINs: whoever writes it signs with every key.
                Bad("module", $"{t.Module} is writable by other users (mode {Convert.ToString((int)File.GetUnixFileMode(t.Module), 8)}): the module runs inside the daemon with the tokens' PINs; chmod 0755 or stricter");
            }

            if (string.IsNullOrEmpty(t.TokenLabel) == string.IsNullOrEmpty(t.TokenSerial))
            {
                Bad("tokenLabel", "give exactly one of tokenLabel and tokenSerial");
            }

            if (t.Sessions is < 1 or > 64)
            {
                Bad("sessions", "must be between 1 and 64");
            }
        }

        if (kind == TokenKind.Software && string.IsNullOrEmpty(t.Directory))
        {
            Bad("directory", "required: where the development seeds are kept");
        }

        if (t.DemoKeys && kind != TokenKind.Simulator)
        {
            Bad("demoKeys", "only simulator tokens make demo keys");
        }

        if (kind == TokenKind.Simulator && t.TouchTimeoutMs is < 100 or > 600_000)
        {
            Bad("touchTimeoutMs", "must be between 100 and 600000");
        }

        if (t.TouchCacheSeconds is { } cache && kind != TokenKind.Simulator)
        {
            Bad("touchCacheSeconds", "only simulator tokens: a real card caches a touch for as long as its maker fixed (a YubiKey 15 s), which the daemon assumes");
        }
        else if (t.TouchCacheSeconds is < 1 or > 86_400)
        {
            Bad("touchCacheSeconds", "must be between 1 and 86400");
        }

        if (kind == TokenKind.Simulator && t.Touch is not (null or "auto" or "manual" or "never"))
        {
            Bad("touch", $"'{t.Touch}' is not one of auto, manual, never");
        }

        if (t.Profile is not null)
        {
            ValidateProfile(t, kind, Bad);
        }

        var pin = ValidateSecret(t.Pin, $"{at}.pin", fail, ref ok);
        var mgm = ValidateSecret(t.ManagementKey, $"{at}.managementKey", fail, ref ok);
        var adminPin = ValidateSecret(t.AdminPin, $"{at}.adminPin", fail, ref ok);
        return ok
            ? new TokenSettings(t.Name!, kind, serial, t.Module, t.TokenLabel, t.TokenSerial, t.Sessions, t.Directory is null ? null : Path.GetFullPath(t.Directory),
                pin, mgm, t.Touch ?? "auto", t.TouchDelayMs, t.TouchTimeoutMs, t.DemoKeys, t.StateFile is null ? null : Path.GetFullPath(t.StateFile), t.Profile)
            {
                AdminPin = adminPin,
                TouchCacheSeconds = t.TouchCacheSeconds,
            }
            : null;
    }

    /// <summary>
    /// A simulator card's device (hw-sim's CardProfile). A simulator token signs through PIV: a Nitrokey 3 has none, and the
    /// demo keys are Ed25519 in PIV, which a YubiKey 5.4.3 lacks.
    /// </summary>
    private static void ValidateProfile(TokenConfig t, TokenKind kind, Action<string, string> bad)
    {
        if (kind != TokenKind.Simulator)
        {
            bad("profile", "only simulator tokens have a profile");
            return;
        }

        CardProfile profile;
        try
        {
            profile = CardProfile.Parse(t.Profile!);
        }
        catch (ArgumentException e)
        {
            int cut = e.Message.IndexOf(" (Parameter", StringComparison.Ordinal);
            bad("profile", cut > 0 ? e.Message[..cut] : e.Message);
            return;
        }

        if (!profile.HasPiv)
        {
            bad("profile", $"{profile.Name} has no PIV applet, and a simulator token signs through PIV");
        }
        else if (t.DemoKeys && !profile.PivHas57Algorithms)
        {
            bad("profile", $"demoKeys are Ed25519 keys in PIV, which {profile.Name} does not have (firmware 5.7 added them)");
        }
    }

    private static SecretSource? ValidateSecret(SecretRef? s, string at, Action<string, string> fail, ref bool ok)
    {
        if (s is null)
        {
            return null;
        }

        if (s.Value is not null)
        {
            ok = false;
            fail($"{at}.value", "secrets never come from the configuration file; use file, credential or env");
            return null;
        }

        var given = new[] { s.File, s.Credential, s.Env }.Count(x => !string.IsNullOrEmpty(x));
        if (given != 1)
        {
            ok = false;
            fail(at, "give exactly one of file, credential, env");
            return null;
        }

        if (s.File is { Length: > 0 } f)
        {
            if (!File.Exists(f))
            {
                ok = false;
                fail($"{at}.file", $"{f} does not exist");
                return null;
            }

            if ((File.GetUnixFileMode(f) & (UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.GroupWrite)) != 0)
            {
                ok = false;
                fail($"{at}.file", $"{f} is readable by other users; chmod 0600 (or 0640 with the daemon's group)");
                return null;
            }

            return SecretSource.FromFile(Path.GetFullPath(f));
        }

        if (s.Credential is { Length: > 0 } cred)
        {
            if (SecretSource.CredentialProblem(cred) is { } problem)
            {
                ok = false;
                fail($"{at}.credential", problem);
                return null;
            }

            return SecretSource.FromCredential(cred);
        }

        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(s.Env!)))
        {
            ok = false;
            fail($"{at}.env", $"the environment variable {s.Env} is not set (or empty) in keycustodyd's environment");
            return null;
        }

        return SecretSource.FromEnvironment(s.Env!);
    }

    private static KeySettings? ValidateKey(KeyConfig k, string at, List<TokenSettings> tokens, bool allowSoftwareMaster, Action<string, string> fail)
    {
        var ok = true;
        void Bad(string setting, string problem)
        {
            ok = false;
            fail($"{at}.{setting}", problem);
        }

        if (string.IsNullOrWhiteSpace(k.Name))
        {
            Bad("name", "required");
        }

        var token = tokens.FirstOrDefault(t => t.Name == k.Token);
        if (token is null)
        {
            Bad("token", $"no token named '{k.Token}' in tokens");
        }

        if (string.IsNullOrWhiteSpace(k.KeyId))
        {
            Bad("keyId", "required: the PIV slot, OpenPGP key (sig or aut), PKCS#11 label or software key name");
        }
        else if (token?.Kind == TokenKind.OpenPgp && KeyCustody.Tokens.OpenPgp.OpenPgpToken.KeyIdProblem(k.KeyId) is { } keyProblem)
        {
            Bad("keyId", keyProblem);
        }

        if (!KeyRoleNames.TryParse(k.Role, out var role))
        {
            Bad("role", $"'{k.Role}' is not one of master, self_signing, user_signing, server");
        }
        else if (role == KeyRole.Server)
        {
            if (string.IsNullOrWhiteSpace(k.Owner))
            {
                Bad("owner", "required: the server name");
            }

            if (string.IsNullOrWhiteSpace(k.Version))
            {
                Bad("version", "required for server keys: the key is named ed25519:<version>");
            }
        }
        else if (IdentifierGrammar.UserIdProblem(k.Owner) is { } ownerProblem)
        {
            Bad("owner", $"'{k.Owner}' is not a Matrix user ID like @alice:example.org ({ownerProblem})");
        }

        if (ok && role == KeyRole.Master && token!.Kind == TokenKind.Software && !allowSoftwareMaster)
        {
            Bad("token", $"the master key must be on a hardware token; '{token.Name}' is a software token (set allowSoftwareMasterKey only for development)");
        }

        var presence = k.Presence switch
        {
            null or "auto" => PresenceMode.Auto,
            "operator" => PresenceMode.Operator,
            "none" => PresenceMode.None,
            _ => (PresenceMode)(-1),
        };
        if ((int)presence < 0)
        {
            Bad("presence", $"'{k.Presence}' is not one of auto, operator, none");
        }
        else if (presence == PresenceMode.None && ok && role == KeyRole.Master)
        {
            Bad("presence", "a master key always needs a presence confirmation");
        }

        string? approver = null;
        if (k.RequireApprover is { Length: > 0 } who)
        {
            approver = NormalizeSelector(who);
            if (approver is null)
            {
                Bad("requireApprover", $"'{who}' is not uid:N, gid:N, user:NAME, group:NAME or cert:SUBJECT (or names no such user or group)");
            }
        }

        Ed25519PublicKey? publicKey = null;
        if (k.PublicKey is { Length: > 0 } pk && !Ed25519PublicKey.TryFromBase64(pk, out publicKey, out var error))
        {
            Bad("publicKey", error);
        }

        return ok ? new KeySettings(k.Name!, k.Token!, k.KeyId!, role, k.Owner!, k.Version, publicKey, approver, presence, k.BackupOf is { Length: > 0 } b ? b : null) : null;
    }

    /// <summary>A principal selector with user and group names resolved to ids: uid:N, gid:N or cert:SUBJECT; null if invalid.</summary>
    internal static string? NormalizeSelector(string selector)
    {
        var colon = selector.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == selector.Length - 1)
        {
            return null;
        }

        var (kind, value) = (selector[..colon], selector[(colon + 1)..]);
        return kind switch
        {
            "uid" when uint.TryParse(value, out _) => selector,
            "gid" when uint.TryParse(value, out _) => selector,
            "user" => Posix.LookupUser(value) is { } u ? $"uid:{u}" : null,
            "group" => Posix.LookupGroup(value) is { } g ? $"gid:{g}" : null,
            "cert" => selector,
            _ => null,
        };
    }

    private static AccessRule? ValidateRule(AccessRuleConfig r, string at, Action<string, string> fail)
    {
        var ok = true;
        void Bad(string setting, string problem)
        {
            ok = false;
            fail($"{at}.{setting}", problem);
        }

        uint? uid = null, gid = null;
        string? subject = null;
        var selector = r.Principal ?? string.Empty;
        var colon = selector.IndexOf(':', StringComparison.Ordinal);
        var (kind, value) = colon > 0 ? (selector[..colon], selector[(colon + 1)..]) : (selector, string.Empty);
        switch (kind)
        {
            case "uid" when uint.TryParse(value, out var u): uid = u; break;
            case "gid" when uint.TryParse(value, out var g): gid = g; break;
            case "user": uid = Posix.LookupUser(value); if (uid is null) { Bad("principal", $"no user named '{value}'"); } break;
            case "group": gid = Posix.LookupGroup(value); if (gid is null) { Bad("principal", $"no group named '{value}'"); } break;
            case "cert" when value.Length > 0: subject = value; break;
            default: Bad("principal", $"'{selector}' is not uid:N, gid:N, user:NAME, group:NAME or cert:SUBJECT"); break;
        }

        if (r.Keys.Count == 0)
        {
            Bad("keys", "required: key names or patterns such as \"alice-*\" or \"*\"");
        }

        var ops = Operations.None;
        foreach (var op in r.Operations)
        {
            ops |= op switch
            {
                "sign" => Operations.Sign,
                "approve" => Operations.Approve,
                "admin" => Operations.Admin,
                _ => Operations.None,
            };
            if (op is not ("sign" or "approve" or "admin"))
            {
                Bad("operations", $"'{op}' is not one of sign, approve, admin");
            }
        }

        if (r.Operations.Count == 0)
        {
            Bad("operations", "required: sign, approve and/or admin");
        }

        return ok ? new AccessRule(selector, uid, gid, subject, r.Keys, ops) : null;
    }
}
