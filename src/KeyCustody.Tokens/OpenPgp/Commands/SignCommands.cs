using KeyCustody.Tokens.OpenPgp.Apdu;
using KeyCustody.Tokens.Piv;

namespace KeyCustody.Tokens.OpenPgp.Commands;

/// <summary>
/// PSO: COMPUTE DIGITAL SIGNATURE (2A 9E 9A, signature key) and INTERNAL AUTHENTICATE (88, authentication key). For
/// EdDSA the card signs the data field itself as the RFC 8032 message: nothing is hashed or wrapped (ykman's
/// "EdDSA, never hash"; opcard passes the input unchanged).
/// </summary>
internal static class SignCommands
{
    /// <summary><c>00 2A 9E 9A Lc message 00</c> for sig, <c>00 88 00 00 Lc message 00</c> for aut.</summary>
    public static PgpCommand Build(OpenPgpKeySlot slot, ReadOnlySpan<byte> message) => slot == OpenPgpKeySlot.Signature
        ? new(0x00, 0x2A, 0x9E, 0x9A, message.ToArray(), expectsData: true)
        : new(0x00, 0x88, 0x00, 0x00, message.ToArray(), expectsData: true);

    /// <summary>
    /// The 64-byte signature. 6982 after a verified PIN means the card waited for a touch in vain
    /// (<paramref name="touchExpected"/>); otherwise the card wanted a PIN it did not have.
    /// </summary>
    public static byte[] Parse(ResponseApdu response, bool touchExpected, string keyId, OpenPgpErrorContext context)
    {
        if (response.IsSuccess)
        {
            return response.Data.Length == Ed25519Check.SignatureLength
                ? response.Data
                : throw context.Malformed("the signature", new InvalidDataException($"an Ed25519 signature of {response.Data.Length} bytes"));
        }

        if (response.StatusWord == StatusWords.SecurityStatusNotSatisfied)
        {
            throw touchExpected
                ? TokenErrors.TouchTimeout(context.Token, keyId)
                : TokenErrors.Device(context.Token, $"the card refused to use the {keyId} key: its PIN was not verified for it (another program may have reset the card meanwhile)", StatusWords.Format(response.StatusWord));
        }

        if (response.StatusWord == OpenPgpErrorContext.ReferencedDataNotFound)
        {
            throw TokenErrors.KeyNotFound(context.Token, keyId);
        }

        throw context.Unexpected(response.StatusWord, keyId == OpenPgpKeySlot.Signature.Id ? "PSO: COMPUTE DIGITAL SIGNATURE" : "INTERNAL AUTHENTICATE");
    }
}
