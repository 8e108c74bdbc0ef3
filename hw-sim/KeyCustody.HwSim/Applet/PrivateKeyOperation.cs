using KeyCustody.HwSim.Apdu;

namespace KeyCustody.HwSim.Applet;

/// <summary>
/// GENERAL AUTHENTICATE with a slot key: sign (<c>7C L 82 00 81 L data</c>: Ed25519 raw message, P-256 digest)
/// or key agreement (<c>7C L 82 00 85 L peer</c>: X25519, P-256). Answers <c>7C L 82 L result</c>.
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
        if (key is null || (byte)key.Algorithm != apdu.P1)
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        var message = Tlv.Find(inner, 0x81);
        var peer = Tlv.Find(inner, 0x85);
        if (Tlv.Find(inner, 0x82) is not { Value.Length: 0 } || (message is null) == (peer is null))
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        bool signing = message is not null;
        bool supported = signing
            ? key.Algorithm is KeyAlgorithm.Ed25519 or KeyAlgorithm.EccP256
            : key.Algorithm is KeyAlgorithm.X25519 or KeyAlgorithm.EccP256;
        var input = signing ? message!.Value.Value : peer!.Value.Value;
        if (!supported || (key.Algorithm == KeyAlgorithm.EccP256 && signing && input.Length is 0 or > 32))
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
}
