using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KeyCustody.HwSim.OpenPgp;
using KeyCustody.HwSim.Tests.OpenPgp;
using KeyCustody.HwSim.Tests.Support;

namespace KeyCustody.HwSim.Tests.Pcsc;

/// <summary>
/// ykman 4.0.9's `openpgp` commands (ykman/openpgp.py: GET VERSION F1, UIF D6-D9, SET PIN RETRIES F2, GET ATTESTATION FB,
/// SELECT DATA with the length byte up to firmware 5.4.3) against the simulator's 5.7 and 5.4.3 profiles behind pcscd.
/// </summary>
[Collection(PcscdCollection.Name)]
public sealed class YkmanOpenPgpTests : IDisposable
{
    private const string AdminPin = "12345678";
    private readonly PcscdFixture _fixture;
    private CardOnSlot? _current;

    public YkmanOpenPgpTests(PcscdFixture fixture)
    {
        _fixture = fixture;
    }

    [Theory]
    [InlineData("yubikey-5.7", "5.7.1")]
    [InlineData("yubikey-5.4.3", "5.4.3")]
    public void Info_shows_the_versions_the_tries_and_the_touch_policies(string profile, string version)
    {
        var (_, ykman) = Use(CardProfile.Parse(profile), 5550201);
        var info = ykman.Run("openpgp", "info");
        Assert.Contains("OpenPGP version: 3.4", info);
        Assert.Contains("Application version: " + version, info);
        Assert.Contains("PIN tries remaining: 3", info);
        Assert.Contains("Reset code tries remaining: 0", info);
        Assert.Contains("Admin PIN tries remaining: 3", info);
        Assert.Contains("Signature key           Off", info);
        Assert.Contains("Attestation key         Off", info);
    }

    [Fact]
    public void Keys_set_touch_takes_every_mode_and_a_fixed_one_is_not_allowed_to_change_while_the_key_is_there()
    {
        var (card, ykman) = Use(CardProfile.YubiKey57, 5550202, withKeys: true);
        ykman.Run("openpgp", "keys", "set-touch", "sig", "on", "-a", AdminPin, "-f");
        ykman.Run("openpgp", "keys", "set-touch", "enc", "cached", "-a", AdminPin, "-f");
        ykman.Run("openpgp", "keys", "set-touch", "aut", "cached-fixed", "-a", AdminPin, "-f");
        ykman.Run("openpgp", "keys", "set-touch", "att", "fixed", "-a", AdminPin, "-f");
        var info = ykman.Run("openpgp", "info");
        Assert.Contains("Signature key           On", info);
        Assert.Contains("Encryption key          Cached", info);
        Assert.Contains("Authentication key      Cached (fixed)", info);
        Assert.Contains("Attestation key         On (fixed)", info);
        Assert.Equal(0x04, card.Card.State.OpenPgp.Slot(PgpKey.Authentication).Uif);

        Assert.Contains("Touch policy not allowed.", ykman.RunFailing("openpgp", "keys", "set-touch", "aut", "off", "-a", AdminPin, "-f"));
        Assert.Equal(0x04, card.Card.State.OpenPgp.Slot(PgpKey.Authentication).Uif);
    }

    [Theory]
    [InlineData("yubikey-5.7")]
    [InlineData("yubikey-5.4.3")]
    public void Keys_attest_writes_a_statement_into_the_key_slot_that_chains_through_the_fc_certificate_to_the_root(string profile)
    {
        var (card, ykman) = Use(CardProfile.Parse(profile), 5550203, withKeys: true);
        var statementPath = card.WorkFile("statement.pem");
        ykman.Run("openpgp", "keys", "attest", "sig", statementPath, "-P", "123456");
        using var statement = X509Certificate2.CreateFromPem(File.ReadAllText(statementPath));
        Assert.Equal("CN=YubiKey OPGP Attestation SIG", statement.Subject);
        Assert.Equal(card.Card.State.OpenPgp.Slot(PgpKey.Signature).Key!.PublicKey, statement.PublicKey.EncodedKeyValue.RawData);

        var templatePath = card.WorkFile("attestation.pem");
        ykman.Run("openpgp", "certificates", "export", "att", templatePath);
        using var template = X509Certificate2.CreateFromPem(File.ReadAllText(templatePath));
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(TestCards.Root.Certificate);
        chain.ChainPolicy.ExtraStore.Add(template);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(statement), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));

        // The statement is the signature key's certificate now (7F21 occurrence 2), as `certificates export sig` shows.
        Assert.Equal(statement.RawData, X509Certificate2.CreateFromPem(ykman.Run("openpgp", "certificates", "export", "sig", "-")).RawData);
    }

    [Fact]
    public void Certificates_import_export_and_delete_use_select_data_with_the_length_byte_on_5_4_3()
    {
        var (card, ykman) = Use(CardProfile.YubiKey543, 5550204, withKeys: true);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = card.WorkFile("aut.pem");
        File.WriteAllText(pem, TestCertificates.For(key.ExportSubjectPublicKeyInfoPem()));
        ykman.Run("openpgp", "certificates", "import", "aut", pem, "-a", AdminPin);
        ykman.Run("openpgp", "certificates", "import", "enc", pem, "-a", AdminPin);
        Assert.Equal(File.ReadAllText(pem).Trim(), ykman.Run("openpgp", "certificates", "export", "aut", "-").Trim());
        Assert.NotEmpty(card.Card.State.OpenPgp.Certificates[1]);
        ykman.Run("openpgp", "certificates", "delete", "enc", "-a", AdminPin);
        Assert.Empty(card.Card.State.OpenPgp.Certificates[1]);
        Assert.NotEmpty(card.Card.State.OpenPgp.Certificates[0]);
        Assert.True(card.CountInPcscdLog("00 A5 01 04 07 06 60 04 5C 02 7F 21") >= 1);
    }

    [Fact]
    public void Access_set_retries_and_reset_return_the_applet_to_the_factory_keeping_the_attestation_key()
    {
        var (card, ykman) = Use(CardProfile.YubiKey57, 5550205, withKeys: true);
        ykman.Run("openpgp", "access", "set-retries", "5", "6", "7", "-a", AdminPin, "-f");
        var info = ykman.Run("openpgp", "info");
        Assert.Contains("PIN tries remaining: 5", info);
        Assert.Contains("Reset code tries remaining: 0", info);
        Assert.Contains("Admin PIN tries remaining: 7", info);
        var attestation = card.Card.State.OpenPgp.AttestationCertificate;

        Assert.Contains("Success! All data has been cleared and default PINs are set.", ykman.Run("openpgp", "reset", "-f"));
        info = ykman.Run("openpgp", "info");
        Assert.Contains("PIN tries remaining: 3", info);
        Assert.Contains("Admin PIN tries remaining: 3", info);
        Assert.Null(card.Card.State.OpenPgp.Slot(PgpKey.Signature).Key);
        Assert.Equal(attestation, card.Card.State.OpenPgp.AttestationCertificate);
        Assert.NotNull(card.Card.State.OpenPgp.Slot(PgpKey.Attestation).Key);
    }

    [Fact]
    public void A_nitrokey_3_is_not_for_ykman_which_asks_for_yubicos_get_version_first()
    {
        var (card, ykman) = Use(CardProfile.Nitrokey3, 5550206);
        Assert.Contains("APDU error: SW=0x6d00", ykman.RunFailing("openpgp", "info"));
        Assert.True(card.CountInPcscdLog("00 F1 00 00") >= 1);
    }

    public void Dispose() => _current?.Dispose();

    private (CardOnSlot Card, CommandLineTool Ykman) Use(CardProfile profile, uint serial, bool withKeys = false)
    {
        var card = TestCards.Create(serial: serial, profile: profile);
        if (withKeys)
        {
            var host = new PgpHost(card.Connect());
            host.Select();
            host.VerifyAdmin();
            host.SetAttributes(0xC1, PgpTemplates.Ed25519);
            host.Generate(0xB6);
            host.SetAttributes(0xC3, PgpTemplates.Ed25519);
            host.Generate(0xA4);
            card.Unplug();
            card.Plug();
        }

        _current = new CardOnSlot(_fixture, card);
        return (_current, Ykman.OnSlot(_current.Pcscd, _current.Slot, _current.Work));
    }

    private sealed class CardOnSlot(PcscdFixture fixture, VirtualCard card) : CardBehindPcscd(fixture, card);
}
