using KeyCustody.Tokens.OpenPgp.Apdu;
using KeyCustody.Tokens.Piv;

namespace KeyCustody.Tokens.OpenPgp.Commands;

/// <summary>
/// Yubico's OpenPGP attestation (firmware 5.2+): GET ATTESTATION (80 FB key 00) writes a statement certificate for a
/// key generated on the card into that key's cardholder certificate (7F21), read with SELECT DATA + GET DATA; the
/// card's attestation certificate (issued from the Yubico OPGP CA) is DO FC.
/// </summary>
internal static class AttestCommands
{
    public const int CardholderCertificate = 0x7F21;
    public const int AttestationCertificate = 0x00FC;

    /// <summary><c>80 FB key-ref 00</c> (needs PW1 mode 81, and a touch when the attestation key's UIF D9 asks).</summary>
    public static PgpCommand Attest(OpenPgpKeySlot slot) => new(0x80, 0xFB, slot.KeyRef, 0x00);

    public static void ParseAttest(ResponseApdu response, bool touchExpected, OpenPgpErrorContext context)
    {
        if (response.IsSuccess)
        {
            return;
        }

        throw response.StatusWord switch
        {
            StatusWords.SecurityStatusNotSatisfied when touchExpected => TokenErrors.TouchTimeout(context.Token, "attestation"),
            StatusWords.SecurityStatusNotSatisfied => TokenErrors.Device(context.Token, "the card refused to attest without the PIN", StatusWords.Format(response.StatusWord)),
            StatusWords.IncorrectData or OpenPgpErrorContext.ReferencedDataNotFound or OpenPgpErrorContext.ConditionsNotSatisfied =>
                TokenErrors.NotSupported(context.Token, $"attesting the {context.KeyId} key (a card attests only a key it generated; {StatusWords.Format(response.StatusWord)})"),
            _ => context.Unexpected(response.StatusWord, "GET ATTESTATION"),
        };
    }

    /// <summary>
    /// <c>00 A5 index 04 Lc 60 04 5C 02 7F 21</c>: the key's occurrence of 7F21 (aut 0, dec 1, sig 2). YubiKeys up to
    /// 5.4.3 want a non-standard length byte (06) first, as ykman sends it to them.
    /// </summary>
    public static PgpCommand SelectCertificate(OpenPgpKeySlot slot, bool yubiKeyLengthByte)
    {
        byte[] reference = [0x60, 0x04, 0x5C, 0x02, 0x7F, 0x21];
        return new(0x00, 0xA5, slot.CertificateIndex, 0x04, yubiKeyLengthByte ? [0x06, .. reference] : reference);
    }

    public static void ParseSelectCertificate(ResponseApdu response, OpenPgpErrorContext context)
    {
        if (!response.IsSuccess)
        {
            throw context.Unexpected(response.StatusWord, "SELECT DATA 7F21");
        }
    }
}
