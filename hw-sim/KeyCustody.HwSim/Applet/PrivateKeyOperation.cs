using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.Crypto;

namespace KeyCustody.HwSim.Applet;

/// <summary>
/// GENERAL AUTHENTICATE with a slot key. Tag 81 (<c>7C L 82 00 81 L data</c>): Ed25519 over the raw message, ECDSA over
/// a digest, or RSA's raw private operation on a block the host padded (sign and decrypt alike). Tag 85
/// (<c>7C L 82 00 85 L peer</c>): ECDH (P-256, P-384, X25519). Answers <c>7C L 82 L result</c>. The F9 key signs only
/// attestation statements, never data it is sent.
/// </summary>
internal static class PrivateKeyOperation
{
    public static Response Handle(AppletContext context, CommandApdu apdu, List<Tlv> inner)
    {
        byte slot = apdu.P2;
        if (!PivSlots.IsKeySlot(slot))
        {
            return Response.Status(StatusWord.ReferenceNotFound);
        }

        var key = context.State.KeyIn(slot);
        if (slot == PivSlots.Attestation || key is null || (byte)key.Algorithm != apdu.P1)
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        var message = Tlv.Find(inner, 0x81);
        var peer = Tlv.Find(inner, 0x85);
        if (Tlv.Find(inner, 0x82) is not { Value.Length: 0 } || (message is null) == (peer is null))
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        // Checked before the PIN and touch gate, so a malformed request spends neither a PIN-always verification nor a touch.
        bool signing = message is not null;
        var input = signing ? message!.Value.Value : peer!.Value.Value;
        if (!Accepts(key, signing, input.Length))
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        if (KeyUseGate.Authorize(context, key) is { } refused)
        {
            return Response.Status(refused);
        }

        var result = signing ? key.Sign(input.Span) : key.Agree(input.Span);
        return result is null
            ? Response.Status(StatusWord.IncorrectData)
            : Response.Ok(Tlv.Encode(0x7C, Tlv.Encode(0x82, result)));
    }

    private static bool Accepts(SlotKey key, bool signing, int length) => key switch
    {
        RsaSlotKey rsa => signing && length == rsa.BlockLength,
        EcSlotKey ec => signing ? length > 0 && length <= ec.FieldLength : length == 1 + (2 * ec.FieldLength),
        Ed25519SlotKey => signing,
        X25519SlotKey => !signing && length == 32,
        _ => false,
    };
}
