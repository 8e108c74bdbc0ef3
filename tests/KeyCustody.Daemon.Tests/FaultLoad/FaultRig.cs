using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using KeyCustody.Client;
using KeyCustody.Matrix.Signing;
using KeyCustody.Protos.V1;
using KeyCustody.Tests.Shared;

namespace KeyCustody.Daemon.Tests.FaultLoad;

/// <summary>
/// Everything a fault run signs against, each piece real and separate: a private pcscd with vpcd, keycustody-hwsim
/// with two cards (its own process), a SoftHSM2 token, and keycustodyd (its own process, Unix socket and mutual-TLS
/// TCP on loopback). Keys: alice-ssk on card 1 (PIN once, touch always), bob-ssk and alice-usk on card 2 (touch
/// always), hsm-server (presence none) and carol-ssk (an operator approves) on SoftHSM2.
/// </summary>
internal sealed class FaultRig : IAsyncDisposable
{
    public const string Alice = "@alice:example.org";
    public const string Bob = "@bob:example.org";
    public const string Carol = "@carol:example.org";
    public const string Server = "example.org";
    public const string LimitedSubject = "CN=limited, O=KeyCustody fault run";
    public const string OperatorSubject = "CN=operator, O=KeyCustody fault run";
    public const uint FirstSerial = 31000001;

    /// <summary>The cards' PIN after set-up (changed from the factory 123456): distinctive, for the search of the logs.</summary>
    public const string CardPin = "58a2Q9zk";

    /// <summary>The cards' management key (the factory default: the daemon is given it from a file).</summary>
    public const string ManagementKey = "010203040506070801020304050607080102030405060708";

    /// <summary>The keys of the run: name → (token, key id on the token, role, owner).</summary>
    public static readonly IReadOnlyList<RigKey> Keys =
    [
        new("alice-ssk", "yk1", "9a", "self_signing", Alice),
        new("bob-ssk", "yk2", "9a", "self_signing", Bob),
        new("alice-usk", "yk2", "9d", "user_signing", Alice),
        new("hsm-server", "hsm", "srv", "server", Server),
        new("carol-ssk", "hsm", "carol-ssk", "self_signing", Carol),
    ];

    private FaultRig(string root, PrivatePcscd pcscd, HwSimCards cards, HsmToken hsm, TlsMaterial tls, FaultDaemon daemon, int port)
    {
        Root = root;
        Pcscd = pcscd;
        Cards = cards;
        Hsm = hsm;
        Tls = tls;
        Daemon = daemon;
        Port = port;
    }

    public string Root { get; }

    public PrivatePcscd Pcscd { get; }

    public HwSimCards Cards { get; }

    public HsmToken Hsm { get; }

    public TlsMaterial Tls { get; }

    public FaultDaemon Daemon { get; }

    public int Port { get; }

    public string StateDirectory => Path.Combine(Root, "state");

    public string AuditLog => Path.Combine(StateDirectory, "audit.jsonl");

    /// <summary>The public key of every key (what the daemon pinned when it generated them).</summary>
    public Dictionary<string, Ed25519PublicKey> PublicKeys { get; } = new(StringComparer.Ordinal);

    public static async Task<FaultRig> StartAsync(string root)
    {
        Directory.CreateDirectory(root);
        File.SetUnixFileMode(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var state = Directory.CreateDirectory(Path.Combine(root, "state")).FullName;
        File.SetUnixFileMode(state, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var pcscd = new PrivatePcscd("faultload-pcscd-");
        HwSimCards? cards = null;
        TlsMaterial? tls = null;
        FaultDaemon? daemon = null;
        try
        {
            cards = await HwSimCards.StartAsync(pcscd, root, FirstSerial);
            await ChangeCardPinsAsync(pcscd);
            var hsm = new HsmToken(root);
            hsm.Create();
            tls = TlsMaterial.Create(root);
            var port = TestCertificates.FreePort();
            var socket = Path.Combine(root, "keycustodyd.sock");
            var config = Path.Combine(root, "keycustodyd.json");
            WriteConfig(root, config, state, socket, port, hsm, tls);
            daemon = new FaultDaemon(config, socket, Path.Combine(root, "keycustodyd.out"), new(StringComparer.Ordinal)
            {
                [PrivatePcscd.SocketVariable] = pcscd.SocketPath,
                ["SOFTHSM2_CONF"] = hsm.ConfigPath,
            });
            await daemon.StartAsync();
            var rig = new FaultRig(root, pcscd, cards, hsm, tls, daemon, port);
            await rig.GenerateKeysAsync();
            return rig;
        }
        catch
        {
            daemon?.Dispose();
            tls?.Dispose();
            cards?.Dispose();
            pcscd.Dispose();
            throw;
        }
    }

    public KeyCustodyClient TlsClient(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate) =>
        KeyCustodyClient.ConnectTls(new Uri($"https://localhost:{Port}"), certificate, [Tls.Ca]);

    private async Task GenerateKeysAsync()
    {
        using var client = Daemon.Client();
        foreach (var (name, pin, touch) in new[] { ("alice-ssk", "once", "always"), ("bob-ssk", "never", "always"), ("alice-usk", "never", "always"), ("hsm-server", "default", "default"), ("carol-ssk", "default", "default") })
        {
            var generated = await client.Admin.GenerateKeyAsync(new GenerateKeyRequest { Key = name, PinPolicy = pin, TouchPolicy = touch }, deadline: DateTime.UtcNow.AddMinutes(2));
            PublicKeys[name] = Ed25519PublicKey.FromBase64(generated.PublicKey);
        }

        // SoftHSM2 attests nothing: an admin accepts the HSM's self-signing key, as an operator would (audited).
        await Harness.Accept(client, "carol-ssk");

        var listed = await client.Custody.ListKeysAsync(new ListKeysRequest());
        foreach (var key in listed.Keys)
        {
            if (PublicKeys[key.Name].Base64 != key.PublicKey)
            {
                throw new InvalidOperationException($"{key.Name}: the daemon lists {key.PublicKey}, it generated {PublicKeys[key.Name].Base64}");
            }
        }
    }

    private static void WriteConfig(string root, string path, string state, string socket, int port, HsmToken hsm, TlsMaterial tls)
    {
        string Secret(string name, string value)
        {
            var file = Path.Combine(root, name);
            File.WriteAllText(file, value);
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            return file;
        }

        var cardPin = Secret("card.pin", CardPin);
        var mgm = Secret("card.mgm", ManagementKey);
        var hsmPin = Secret("hsm.pin", HsmToken.Pin);
        var me = "uid:" + FaultNative.Uid().ToString(CultureInfo.InvariantCulture);
        var config = new
        {
            stateDirectory = state,
            listen = new
            {
                unixSocket = socket,
                socketMode = "0600",
                tcp = new { endpoint = $"127.0.0.1:{port}", certificate = tls.CertificateFile, privateKey = tls.PrivateKeyFile, clientCa = tls.ClientCaFile },
            },
            limits = new { maxQueuePerToken = 64 },
            // The cards' attestations verify against hw-sim's root, as a YubiKey's against Yubico's.
            attestation = new { roots = new[] { Harness.RootPem(Path.Combine(root, "hwsim-root.json"), Path.Combine(root, "hwsim-root.pem")) } },
            presence = new { approvalTimeoutSeconds = 20 },
            tokens = new object[]
            {
                new { name = "yk1", kind = "piv", serial = FirstSerial, pin = new { file = cardPin }, managementKey = new { file = mgm } },
                new { name = "yk2", kind = "piv", serial = FirstSerial + 1, pin = new { file = cardPin }, managementKey = new { file = mgm } },
                new { name = "hsm", kind = "pkcs11", module = SoftHsmTokens.Module, tokenLabel = HsmToken.Label, sessions = 2, pin = new { file = hsmPin } },
            },
            keys = Keys.Select(k => k.Role == "server"
                ? (object)new { name = k.Name, token = k.Token, keyId = k.KeyId, role = k.Role, owner = k.Owner, presence = "none", version = "hsm" }
                : new { name = k.Name, token = k.Token, keyId = k.KeyId, role = k.Role, owner = k.Owner, presence = k.Name == "carol-ssk" ? "operator" : "auto" }).ToArray(),
            access = new object[]
            {
                new { principal = me, keys = new[] { "*" }, operations = new[] { "sign", "admin" } },
                new { principal = "cert:" + LimitedSubject, keys = new[] { "hsm-server" }, operations = new[] { "sign" } },
                new { principal = "cert:" + OperatorSubject, keys = new[] { "carol-*" }, operations = new[] { "approve" } },
            },
        };
        var json = JsonSerializer.Serialize(config);
        File.WriteAllText(path, JsonNode.Parse(json)!.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>
    /// Yubico's yubico-piv-tool changes each card's PIN from the factory default to <see cref="CardPin"/>, through the
    /// rig's pcscd (retried while the simulator's cards are still connecting to vpcd).
    /// </summary>
    private static async Task ChangeCardPinsAsync(PrivatePcscd pcscd)
    {
        for (var slot = 0; slot < 2; slot++)
        {
            var last = "";
            for (var attempt = 0; ; attempt++)
            {
                (var exit, last) = ChildProcess.Run("yubico-piv-tool", ["-r", PrivatePcscd.ReaderName(slot), "-a", "change-pin", "-P", "123456", "-N", CardPin], pcscd.AddTo);
                if (exit == 0)
                {
                    break;
                }

                if (attempt == 100)
                {
                    throw new InvalidOperationException($"yubico-piv-tool could not change the PIN of the card in {PrivatePcscd.ReaderName(slot)}: {last}");
                }

                await Task.Delay(200);
            }
        }
    }


    public async ValueTask DisposeAsync()
    {
        Daemon.Stop();
        Daemon.Dispose();
        Cards.Dispose();
        Pcscd.Dispose();
        Tls.Dispose();
        await Task.Yield();
    }
}

/// <summary>A configured key of the fault run.</summary>
internal sealed record RigKey(string Name, string Token, string KeyId, string Role, string Owner);
