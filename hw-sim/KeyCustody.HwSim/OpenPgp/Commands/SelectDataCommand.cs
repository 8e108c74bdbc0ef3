using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.Applet;

namespace KeyCustody.HwSim.OpenPgp.Commands;

/// <summary>
/// SELECT DATA (A5, 3.4 §7.2.5): P1 = occurrence (0 AUT, 1 DEC, 2 SIG), P2 04, data <c>60 04 5C 02 7F 21</c>. YubiKey
/// firmware up to 5.4.3 wants a length byte before it (<c>06 60 04 ...</c>, yubikey-manager's workaround; OpenSC PR 2969)
/// and refuses the standard form with 6A 80; later firmware takes the standard form.
/// </summary>
internal static class SelectDataCommand
{
    private static ReadOnlySpan<byte> Certificate => [0x60, 0x04, 0x5C, 0x02, 0x7F, 0x21];

    public static Response Handle(AppletContext context, CommandApdu apdu)
    {
        if (apdu.P1 > 2 || apdu.P2 != 0x04)
        {
            return Response.Status(StatusWord.WrongParameters);
        }

        var data = apdu.Data.AsSpan();
        if (context.State.OpenPgp.Profile.SelectDataLengthByte)
        {
            if (data.Length == 0 || data[0] != data.Length - 1)
            {
                return Response.Status(StatusWord.IncorrectData);
            }

            data = data[1..];
        }

        if (!data.SequenceEqual(Certificate))
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        context.Session.OpenPgp.CertificateOccurrence = apdu.P1;
        return Response.Ok();
    }
}
