using System.Diagnostics;
using System.Globalization;
using KeyCustody.HomeserverSim;
using KeyCustody.Matrix.Json;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;
using static KeyCustody.Daemon.Tests.Migration.ElementIdentity;

namespace KeyCustody.Daemon.Tests.Migration;

/// <summary>
/// <c>keycustody migrate</c> onto OpenPGP cards the whole real way: the CLI and keycustodyd, libpcsclite, a private
/// pcscd + vpcd, and two keycustody-hwsim processes: a Nitrokey 3 for the master key, YubiKey 5.4.3s (Ed25519 only
/// through OpenPGP) for its backup and for the new self-signing and user-signing keys. The master key from secret
/// storage (written by matrix-js-sdk) is imported into both cards' signature keys through the daemon's ImportKey
/// (PUT DATA 3FFF), recorded as imported and unattested with who and when; it signs the new keys (python-signedjson
/// verifies what the homeserver simulator publishes), and the touch prompt names the device the card reports. Then
/// GnuPG looks at each card as its owner would: from the card's key and generation date it computes the same v4
/// fingerprint the card holds in C7, links the card to that key, and signs with it.
/// </summary>
public sealed class MigrateOpenPgpTests : IAsyncLifetime
{
    /// <summary>Binary in the Nitrokey's AID (not decimal digits in BCD, as a YubiKey writes): read back as this number.</summary>
    private const uint NitrokeyMaster = 0x1A2B3C4D;
    private const uint YubiKeyBackup = 23100002;
    private const uint YubiKeyDaily = 23100003;
    private const string Pin = "123456";

    /// <summary>A backstop only: every wait below ends on what it waits for.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private readonly DaemonProcess _d = DaemonProcess.Create();
    private readonly HomeserverSimulator _sim = new();
    private readonly List<Process> _hwsims = [];
    private PrivatePcscd _pcscd = null!;
    private ElementIdentity _id = null!;
    private string _root = null!;

    public async Task InitializeAsync()
    {
        // Reader 0 slot 0: the Nitrokey; reader 0 slot 1 and reader 1 slot 0: the YubiKeys.
        _pcscd = new PrivatePcscd("migrate-openpgp-", readers: 2);
        await StartHwSim("nitrokey", "nitrokey-3", NitrokeyMaster, _pcscd.Endpoint(0, 0));
        var yubikeys = await StartHwSim("yubikeys", "yubikey-5.4.3", YubiKeyBackup, _pcscd.Endpoint(0, 1), _pcscd.Endpoint(1, 0));
        _root = RootPem(yubikeys, Path.Combine(_d.Root, "hwsim-root.pem"));

        var pin = SecretFile(_d, "pin", Pin);
        var adminPin = SecretFile(_d, "admin-pin", "12345678");
        object Card(string name, uint serial) => new { name, kind = "openpgp", serial, pin = new { file = pin }, adminPin = new { file = adminPin } };
        _d.Environment[PrivatePcscd.SocketVariable] = _pcscd.SocketPath;
        _d.Configure(new
        {
            tokens = new[] { Card("pgp-master", NitrokeyMaster), Card("pgp-backup", YubiKeyBackup), Card("pgp-daily", YubiKeyDaily) },
            keys = new object[]
            {
                Key("alice-master", "pgp-master", "sig", "master"),
                new { name = "alice-master-backup", token = "pgp-backup", keyId = "sig", role = "master", owner = User, backupOf = "alice-master" },
                Key("alice-ssk", "pgp-daily", "sig", "self_signing"),
                Key("alice-usk", "pgp-daily", "aut", "user_signing"),
            },
            access = new[] { Rule(Me, ["*"], "sign", "approve", "admin") },
            attestation = new { roots = new[] { _root } },
        });
        await _d.StartAsync();
    }

    public async Task DisposeAsync()
    {
        _id?.Dispose();
        await _sim.DisposeAsync();
        await _d.DisposeAsync();
        foreach (var hwsim in _hwsims)
        {
            if (!hwsim.HasExited)
            {
                hwsim.Kill();
                hwsim.WaitForExit(10_000);
            }

            hwsim.Dispose();
        }

        _pcscd?.Dispose();
    }

    [Fact]
    public async Task The_master_key_is_imported_onto_a_nitrokey_3_and_a_yubikey_543_signs_the_new_keys_and_gnupg_sees_it_with_its_fingerprint()
    {
        _id = await CreateAsync(_sim);
        var started = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var token = SecretFile(_d, "token", _id.AlicePhone.Token);
        var password = SecretFile(_d, "password", ElementIdentity.Password);
        var r = ChildProcess.Run("dotnet", [Binaries.Cli, "--socket", _d.Socket, "migrate", "--user", Alice, "--homeserver", _sim.Url,
            "--access-token-file", token, "--password-file", password, "--attestation-root", _root, "--recovery-key-file", SecretFile(_d, "rk", _id.RecoveryKey)]);
        Assert.True(r.ExitCode == 0, r.Output);

        // The master key signed the new keys on the Nitrokey, and the prompt said so (not "YubiKey"); the daily card is a YubiKey.
        Assert.Contains($"touch your Nitrokey (serial {NitrokeyMaster})", r.Output, StringComparison.Ordinal);
        Assert.DoesNotContain($"touch your YubiKey (serial {NitrokeyMaster})", r.Output, StringComparison.Ordinal);

        // Both cards hold the master key, imported, unattested, by whom and when; the new keys were made and attested on the YubiKey.
        using var client = _d.Client();
        var keys = (await client.GetPublicKeysAsync(Alice)).Keys.ToDictionary(k => k.Name);
        var master = _id.Master.PublicKey.Base64;
        foreach (var name in new[] { "alice-master", "alice-master-backup" })
        {
            var k = keys[name];
            Assert.Equal((master, "imported"), (k.PublicKey, k.Origin));
            Assert.Equal(("imported", "none"), (k.Provenance.Origin, k.Provenance.Attestation));
            Assert.StartsWith(Me + " ", k.Provenance.By, StringComparison.Ordinal);
            Assert.InRange(k.Provenance.At, started - 1, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        }

        Assert.Equal(("generated", "attested"), (keys["alice-ssk"].Provenance.Origin, keys["alice-ssk"].Provenance.Attestation));
        var import = ReadAudit(_d).Single(a => a.GetString("kind") == "admin_outcome" && a.GetString("operation") == "import_key" && a.GetString("key") == "alice-master");
        Assert.Equal(("imported", "pgp-master", "sig"), (import.GetString("outcome"), import.GetString("token"), import.GetString("key_id")));

        // What the homeserver now publishes is signed by the imported key: python-signedjson agrees.
        var published = await _id.AlicePhone.QueryAsync(Alice);
        foreach (var section in new[] { "self_signing_keys", "user_signing_keys" })
        {
            var document = CanonicalJson.Encode(published.GetObject(section)!.GetObject(Alice)!);
            Assert.Equal(["valid"], PythonOracle.Verify([document], master, Alice, master));
        }

        // GnuPG, card by card (the daemon stopped, as a person would stop it): the fingerprint the card holds is GnuPG's own
        // for that key and generation date.
        await _d.StopAsync();
        foreach (var (reader, name) in new[] { (PrivatePcscd.ReaderName(0, 0), "nitrokey"), (PrivatePcscd.ReaderName(0, 1), "yubikey") })
        {
            using var gpg = new CardGnuPg(_pcscd, reader, Path.Combine(_d.Root, "gpg-" + name), Pin);
            GnuPgSeesTheImportedKey(gpg);
        }
    }

    /// <summary>
    /// gpg --card-status shows the signature key's fingerprint (C7) and generation date (CE); gpg-agent learns the card's
    /// key (its keygrip); a key GnuPG makes from that keygrip with that date has the card's fingerprint, and then the card
    /// signs for it and gpg --verify accepts the signature.
    /// </summary>
    private static void GnuPgSeesTheImportedKey(CardGnuPg gpg)
    {
        var colons = gpg.Gpg("--with-colons", "--card-status").Split('\n');
        var fingerprint = Field(colons, "fpr", 1);
        var created = Field(colons, "fprtime", 1);
        Assert.Matches("^[0-9A-F]{40}$", fingerprint);
        Assert.True(long.Parse(created, CultureInfo.InvariantCulture) > 0, string.Join('\n', colons));

        var learnt = gpg.Agent("LEARN --sendinfo");
        var keygrip = learnt.Split('\n').Select(l => l.Split(' ')).First(p => p.Length > 3 && p[0] == "S" && p[1] == "KEYPAIRINFO" && p[3] == "OPENPGP.1")[2];

        var parameters = Path.Combine(gpg.Work, "key.txt");
        File.WriteAllText(parameters, string.Join('\n',
            "Key-Type: eddsa", "Key-Curve: ed25519", "Key-Grip: " + keygrip, "Key-Usage: sign", "Name-Real: Alice Master Key",
            "Creation-Date: seconds=" + created, "Expire-Date: 0", "%commit", string.Empty));
        gpg.Gpg("--batch", "--gen-key", parameters);
        Assert.Equal(fingerprint, Field(gpg.Gpg("--with-colons", "--list-keys").Split('\n'), "fpr", 9));
        Assert.Contains("General key info..: pub  ed25519/", gpg.Gpg("--card-status"), StringComparison.Ordinal);

        var message = Path.Combine(gpg.Work, "message.txt");
        File.WriteAllText(message, "the Matrix master key, on a card, signs for GnuPG too\n");
        gpg.Gpg("--batch", "--yes", "--sign", message);
        Assert.Contains("Good signature from \"Alice Master Key\"", gpg.Gpg("--verify", message + ".gpg"), StringComparison.Ordinal);
    }

    private static string Field(IEnumerable<string> colonLines, string record, int index) =>
        colonLines.First(l => l.StartsWith(record + ":", StringComparison.Ordinal)).Split(':')[index];

    /// <summary>A keycustody-hwsim of <paramref name="profile"/> with a card in each vpcd slot given; returns its root file once its control socket is up.</summary>
    private async Task<string> StartHwSim(string name, string profile, uint firstSerial, params System.Net.IPEndPoint[] slots)
    {
        var control = Path.Combine(_d.Root, name + ".sock");
        var root = Path.Combine(_d.Root, name + "-root.json");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Binaries.HwSim, "run", "--profile", profile, "--serial", firstSerial.ToString(CultureInfo.InvariantCulture), "--touch", "auto", "--touch-delay", "50", "--control", control, "--root", root })
        {
            start.ArgumentList.Add(a);
        }

        foreach (var slot in slots)
        {
            start.ArgumentList.Add("--vpcd");
            start.ArgumentList.Add(slot.ToString());
        }

        var p = Process.Start(start)!;
        _hwsims.Add(p);
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + Patience;
        while (!File.Exists(control))
        {
            Assert.False(p.HasExited, "keycustody-hwsim exited");
            Assert.True(DateTime.UtcNow < deadline, "keycustody-hwsim's control socket did not appear");
            await Task.Delay(100);
        }

        return root;
    }
}
