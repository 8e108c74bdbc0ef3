using System.Globalization;
using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.OpenPgp;
using KeyCustody.HwSim.Tests.Support;
using NSec.Cryptography;

namespace KeyCustody.HwSim.Tests.Pcsc;

/// <summary>
/// Debian's GnuPG 2.2.40 (gpg, gpg-agent, scdaemon) against the simulated OpenPGP applet through the real pcscd and vpcd:
/// card-status, key generation on the card, keytocard, signing and verifying, decryption, INTERNAL AUTHENTICATE through
/// gpg-agent, factory-reset. The PINs come from the scripted pinentry of <see cref="GnuPg"/>.
/// </summary>
[Collection(PcscdCollection.Name)]
public sealed class GnuPgTests : IDisposable
{
    private readonly PcscdFixture _fixture;
    private CardOnSlot? _current;

    public GnuPgTests(PcscdFixture fixture)
    {
        _fixture = fixture;
    }

    [Fact]
    public void Card_status_shows_a_yubikey_5_4_3_and_after_generation_its_ed25519_keys_which_sign_verify_and_decrypt()
    {
        var (card, gpg) = Use(CardProfile.YubiKey543, 23852774);
        var status = gpg.Gpg.Run("--card-status");
        Assert.Contains("Application ID ...: D2760001240103040006238527740000", status);
        Assert.Contains("Manufacturer .....: Yubico", status);
        Assert.Contains("Serial number ....: 23852774", status);
        Assert.Contains("Key attributes ...: rsa2048 rsa2048 rsa2048", status);
        Assert.Contains("PIN retry counter : 3 0 3", status);
        Assert.Contains("Signature PIN ....: not forced", status);

        GenerateEd25519Keys(gpg);
        status = gpg.Gpg.Run("--card-status");
        Assert.Contains("Key attributes ...: ed25519 cv25519 ed25519", status);
        var signatureKey = card.Card.State.OpenPgp.Slot(PgpKey.Signature);
        Assert.Equal(KeyAlgorithm.Ed25519, signatureKey.Key!.Algorithm);
        Assert.Contains("Signature key ....: " + Spaced(signatureKey.Fingerprint), status);
        Assert.Contains("General key info..: pub  ed25519/", status);

        var before = card.Card.State.OpenPgp.SignatureCounter;
        var message = card.WorkFile("message.txt");
        File.WriteAllText(message, "a Matrix key on a card\n");
        gpg.Gpg.Run("--batch", "--yes", "--sign", message);
        Assert.Equal(before + 1, card.Card.State.OpenPgp.SignatureCounter);
        Assert.Contains("Good signature from \"Card Holder <card@example.org>\"", gpg.Gpg.Run("--verify", message + ".gpg"));
        Assert.Contains($"Signature counter : {before + 1}", gpg.Gpg.Run("--card-status"));

        var encrypted = card.WorkFile("secret.asc");
        gpg.Gpg.RunWithInput("for the card's X25519 key\n", "--batch", "--yes", "--armor", "--trust-model", "always", "-r", "card@example.org", "-o", encrypted, "--encrypt");
        Assert.Contains("for the card's X25519 key", gpg.Gpg.Run("--batch", "--decrypt", encrypted));
    }

    [Fact]
    public void Keytocard_moves_a_software_ed25519_key_onto_a_yubikey_5_7_and_the_card_signs_for_it()
    {
        var (card, gpg) = Use(CardProfile.YubiKey57, 23852775);
        gpg.Gpg.Run("--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key", "Software Key <soft@example.org>", "ed25519", "sign", "never");
        var fingerprint = Fingerprint(gpg.Gpg.Run("--with-colons", "--list-keys", "soft@example.org"));

        // "Really move the primary key? (y/N)", then "(1) Signature key", then the Admin PIN through pinentry.
        gpg.EditKey(fingerprint, "keytocard", "y", "1", "save");
        var slot = card.Card.State.OpenPgp.Slot(PgpKey.Signature);
        Assert.Equal(KeyOrigin.Imported, slot.Key!.Origin);
        Assert.Equal(fingerprint, Convert.ToHexString(slot.Fingerprint));
        Assert.Contains("Card serial no. = 0006 23852775", gpg.Gpg.Run("--list-secret-keys", fingerprint));

        var message = card.WorkFile("message.txt");
        File.WriteAllText(message, "signed by the card for a key made in software\n");
        gpg.Gpg.Run("--batch", "--yes", "--sign", message);
        Assert.Equal(1u, card.Card.State.OpenPgp.SignatureCounter);
        Assert.Contains("Good signature from \"Software Key <soft@example.org>\"", gpg.Gpg.Run("--verify", message + ".gpg"));
    }

    [Fact]
    public void A_nitrokey_3_forces_the_pin_per_signature_and_gnupg_signs_with_it()
    {
        var (card, gpg) = Use(CardProfile.Nitrokey3, 0x12345678);
        var status = gpg.Gpg.Run("--card-status");
        Assert.Contains("Application ID ...: D276000124010304000F123456780000", status);
        Assert.Contains("Signature PIN ....: forced", status);
        GenerateEd25519Keys(gpg);
        var message = card.WorkFile("message.txt");
        File.WriteAllText(message, "one PIN per signature\n");
        gpg.Gpg.Run("--batch", "--yes", "--sign", message);
        gpg.Gpg.Run("--batch", "--yes", "--sign", "--output", message + ".2.gpg", message);
        Assert.Contains("Good signature", gpg.Gpg.Run("--verify", message + ".2.gpg"));
        Assert.False(card.Card.State.OpenPgp.UserPinValidForSeveral);
    }

    [Fact]
    public void Gpg_agent_authenticates_with_the_card_through_internal_authenticate_signing_what_follows_a_15_byte_prefix()
    {
        var (card, gpg) = Use(CardProfile.YubiKey57, 23852776);
        GenerateEd25519Keys(gpg);

        // scdaemon 2.2.40 do_auth drops 15 bytes before an EdDSA INTERNAL AUTHENTICATE (it expects gpg-agent's ssh framing).
        var data = Enumerable.Range(0, 15).Select(b => (byte)0xAA).Concat(Enumerable.Range(1, 32).Select(b => (byte)b)).ToArray();
        var output = gpg.Agent("--hex", "SCD SETDATA " + Convert.ToHexString(data), "SCD PKAUTH OPENPGP.3");
        var signature = HexDump(output);
        Assert.Equal(64, signature.Length);
        var publicKey = NSec.Cryptography.PublicKey.Import(
            SignatureAlgorithm.Ed25519, card.Card.State.OpenPgp.Slot(PgpKey.Authentication).Key!.PublicKey, KeyBlobFormat.RawPublicKey);
        Assert.True(SignatureAlgorithm.Ed25519.Verify(publicKey, data[15..], signature));
    }

    [Fact]
    public void Factory_reset_through_card_edit_terminates_and_activates_the_applet()
    {
        var (card, gpg) = Use(CardProfile.YubiKey57, 23852777);
        GenerateEd25519Keys(gpg);
        Assert.NotNull(card.Card.State.OpenPgp.Slot(PgpKey.Signature).Key);
        var output = gpg.CardEdit("admin", "factory-reset", "y", "yes", "quit");
        Assert.DoesNotContain("rror", output);
        Assert.Null(card.Card.State.OpenPgp.Slot(PgpKey.Signature).Key);
        Assert.Contains("Key attributes ...: rsa2048 rsa2048 rsa2048", gpg.Gpg.Run("--card-status"));
        Assert.NotNull(card.Card.State.OpenPgp.Slot(PgpKey.Attestation).Key);
    }

    public void Dispose() => _current?.Dispose();

    /// <summary>key-attr: ECC, Curve 25519 for all three keys; generate without an off-card backup, no expiry.</summary>
    private static void GenerateEd25519Keys(GnuPg gpg)
    {
        var output = gpg.CardEdit(
            "admin", "key-attr", "2", "1", "2", "1", "2", "1",
            "generate", "n", "0", "Card Holder", "card@example.org", string.Empty, "quit");
        Assert.Contains("KEY_CREATED", output);
    }

    private static string Fingerprint(string colons) =>
        colons.Split('\n').First(line => line.StartsWith("fpr:", StringComparison.Ordinal)).Split(':')[9];

    /// <summary>gpg --card-status prints fingerprints in groups of four hex digits, two spaces in the middle.</summary>
    private static string Spaced(byte[] fingerprint)
    {
        var hex = Convert.ToHexString(fingerprint);
        var groups = Enumerable.Range(0, 10).Select(i => hex.Substring(i * 4, 4)).ToArray();
        return string.Join(' ', groups[..5]) + "  " + string.Join(' ', groups[5..]);
    }

    /// <summary>gpg-connect-agent --hex data lines: <c>D[0000]  30 31 ...  ascii</c>, Assuan-escaped.</summary>
    private static byte[] HexDump(string output)
    {
        var bytes = new List<byte>();
        foreach (var line in output.Split('\n').Where(l => l.StartsWith("D[", StringComparison.Ordinal)))
        {
            // "D[0000]  " then 16 bytes in hex in 49 columns, then the same bytes as text (which may look like hex too).
            int start = line.IndexOf(']', StringComparison.Ordinal) + 3;
            var hex = line.Substring(start, Math.Min(49, line.Length - start));
            foreach (var token in hex.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (token.Length != 2 || !byte.TryParse(token, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var value))
                {
                    break;
                }

                bytes.Add(value);
            }
        }

        // The dump shows the data line as sent, with Assuan's escapes (%25, %0A, %0D) still in it.
        var unescaped = new List<byte>();
        for (int i = 0; i < bytes.Count; i++)
        {
            if (bytes[i] == (byte)'%' && i + 2 < bytes.Count)
            {
                unescaped.Add(Convert.FromHexString([(char)bytes[i + 1], (char)bytes[i + 2]])[0]);
                i += 2;
            }
            else
            {
                unescaped.Add(bytes[i]);
            }
        }

        return [.. unescaped];
    }

    private (CardOnSlot Card, GnuPg Gpg) Use(CardProfile profile, uint serial)
    {
        _current = new CardOnSlot(_fixture, TestCards.Create(serial: serial, profile: profile));
        return (_current, _current.Gpg);
    }

    /// <summary>One card behind pcscd and a GnuPG home for it; GnuPG's agent ends before the card leaves.</summary>
    private sealed class CardOnSlot : CardBehindPcscd
    {
        public CardOnSlot(PcscdFixture fixture, VirtualCard card)
            : base(fixture, card)
        {
            Gpg = new GnuPg(Pcscd, Slot, Work);
        }

        public GnuPg Gpg { get; }

        protected override void BeforeRemoval() => Gpg.Dispose();
    }
}
