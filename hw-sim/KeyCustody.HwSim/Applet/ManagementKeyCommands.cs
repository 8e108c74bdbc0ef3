using System.Security.Cryptography;
using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.Crypto;

namespace KeyCustody.HwSim.Applet;

/// <summary>
/// Management key authentication (GENERAL AUTHENTICATE, P2 9B) in the mutual form ykman/ykpiv use and the
/// single form of the SDK docs, and SET MANAGEMENT KEY (FF).
/// </summary>
internal static class ManagementKeyCommands
{
    private const int WitnessTag = 0x80;
    private const int ChallengeTag = 0x81;
    private const int ResponseTag = 0x82;

    public static Response Authenticate(AppletContext context, CommandApdu apdu, List<Tlv> inner)
    {
        var key = context.State.ManagementKey;
        var session = context.Session;
        if (apdu.P1 != (byte)key.Algorithm)
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        int block = PivAlgorithms.BlockLength(key.Algorithm);
        var witness = Tlv.Find(inner, WitnessTag);
        var challenge = Tlv.Find(inner, ChallengeTag);
        var response = Tlv.Find(inner, ResponseTag);

        if (witness is { Value.Length: 0 } && challenge is null)
        {
            session.ManagementAuthenticated = false;
            session.ClearAuthenticationInProgress();
            session.PendingWitness = RandomNumberGenerator.GetBytes(block);
            var encrypted = ManagementKeyCipher.Encrypt(key.Algorithm, key.Value, session.PendingWitness);
            return Response.Ok(Tlv.Encode(0x7C, Tlv.Encode(WitnessTag, encrypted)));
        }

        if (witness is { } w && challenge is { } c && w.Value.Length == block && c.Value.Length == block
            && response is null or { Value.Length: 0 })
        {
            bool matches = session.PendingWitness is { } expected
                && CryptographicOperations.FixedTimeEquals(expected, w.Value.Span);
            session.ClearAuthenticationInProgress();
            if (!matches)
            {
                return Response.Status(StatusWord.SecurityStatusNotSatisfied);
            }

            if (key.TouchRequired && !context.RequireTouch())
            {
                return Response.Status(StatusWord.SecurityStatusNotSatisfied);
            }

            session.ManagementAuthenticated = true;
            var encrypted = ManagementKeyCipher.Encrypt(key.Algorithm, key.Value, c.Value.Span);
            return Response.Ok(Tlv.Encode(0x7C, Tlv.Encode(ResponseTag, encrypted)));
        }

        if (challenge is { Value.Length: 0 } && witness is null && response is null)
        {
            session.ManagementAuthenticated = false;
            session.ClearAuthenticationInProgress();
            session.PendingChallenge = RandomNumberGenerator.GetBytes(block);
            return Response.Ok(Tlv.Encode(0x7C, Tlv.Encode(ChallengeTag, session.PendingChallenge)));
        }

        if (response is { } r && r.Value.Length == block && witness is null && challenge is null)
        {
            bool matches = session.PendingChallenge is { } pending
                && CryptographicOperations.FixedTimeEquals(ManagementKeyCipher.Encrypt(key.Algorithm, key.Value, pending), r.Value.Span);
            session.ClearAuthenticationInProgress();
            if (!matches)
            {
                return Response.Status(StatusWord.SecurityStatusNotSatisfied);
            }

            if (key.TouchRequired && !context.RequireTouch())
            {
                return Response.Status(StatusWord.SecurityStatusNotSatisfied);
            }

            session.ManagementAuthenticated = true;
            return Response.Ok();
        }

        session.ClearAuthenticationInProgress();
        return Response.Status(StatusWord.IncorrectData);
    }

    /// <summary>SET MANAGEMENT KEY: <c>00 FF FF FF|FE Lc alg 9B len key</c>; P2 FE makes the key require touch.</summary>
    public static Response Set(AppletContext context, CommandApdu apdu)
    {
        if (!context.Session.ManagementAuthenticated)
        {
            return Response.Status(StatusWord.SecurityStatusNotSatisfied);
        }

        if (apdu.P1 != 0xFF || apdu.P2 is not 0xFF and not 0xFE)
        {
            return Response.Status(StatusWord.WrongParameters);
        }

        var data = apdu.Data;
        if (data.Length < 3 || data[1] != PivSlots.ManagementKey)
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        var algorithm = (ManagementKeyAlgorithm)data[0];
        int length = PivAlgorithms.KeyLength(algorithm);
        if (length == 0 || data[2] != length || data.Length != 3 + length)
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        var value = data.AsSpan(3, length);
        if (!ManagementKeyCipher.IsUsable(algorithm, value))
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        context.State.ManagementKey.Replace(algorithm, value, touchRequired: apdu.P2 == 0xFE);
        context.State.Dirty = true;
        return Response.Ok();
    }
}
