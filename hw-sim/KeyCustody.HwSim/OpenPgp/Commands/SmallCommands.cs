using System.Security.Cryptography;
using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.Applet;

namespace KeyCustody.HwSim.OpenPgp.Commands;

/// <summary>GET CHALLENGE (84), Yubico's GET VERSION (F1) and MANAGE SECURITY ENVIRONMENT (22) (3.4 §7.2.15, §7.2.18).</summary>
internal static class SmallCommands
{
    /// <summary>Le random bytes (00: 256; extended: up to the length C0 allows).</summary>
    public static Response Challenge(AppletContext context, CommandApdu apdu)
    {
        int max = context.State.OpenPgp.Profile.MaxChallengeLength;
        if (apdu.P1 != 0 || apdu.P2 != 0)
        {
            return Response.Status(StatusWord.WrongParameters);
        }

        int length = apdu.ExpectedLength ?? 0;
        return length == 0 || length > max ? Response.Status(StatusWord.WrongLength) : Response.Ok(RandomNumberGenerator.GetBytes(length));
    }

    /// <summary>The firmware as three BCD bytes (yubikey-manager reads 05 04 03 as 5.4.3).</summary>
    public static Response Version(AppletContext context)
    {
        var version = context.State.OpenPgp.Profile.FirmwareVersion!;
        return Response.Ok([Bcd(version.Major), Bcd(version.Minor), Bcd(version.Build)]);
    }

    /// <summary>
    /// MSE (<c>00 22 41 A4|B8 03 83 01 02|03</c>): INTERNAL AUTHENTICATE (A4) may use the decryption key, PSO:DECIPHER (B8)
    /// the authentication key. Only where C0 announces it (opcard-rs); a YubiKey has no MSE.
    /// </summary>
    public static Response ManageSecurityEnvironment(AppletContext context, CommandApdu apdu)
    {
        if (apdu.P1 != 0x41 || apdu.P2 is not (0xA4 or 0xB8))
        {
            return Response.Status(StatusWord.WrongParameters);
        }

        var data = apdu.Data;
        if (data.Length != 3 || data[0] != 0x83 || data[1] != 0x01 || data[2] is not (0x02 or 0x03))
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        var key = data[2] == 0x02 ? PgpKey.Decryption : PgpKey.Authentication;
        if (apdu.P2 == 0xA4)
        {
            context.Session.OpenPgp.AuthenticateWith = key;
        }
        else
        {
            context.Session.OpenPgp.DecipherWith = key;
        }

        return Response.Ok();
    }

    private static byte Bcd(int value) => (byte)(((value / 10) << 4) | (value % 10));
}
