using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.Applet;

namespace KeyCustody.HwSim.OpenPgp.Commands;

/// <summary>
/// GET DATA (CA, P1P2 = tag) and GET NEXT DATA (CC, 7F21 only) (3.4 §7.2.6-7.2.7). Parts of the constructed DOs (C0-C6, CD,
/// DE, 7F66, 93, 5B, 5F2D, 5F35) are answered alone too, as the YubiKey and opcard-rs do. An unknown tag answers 6A 88.
/// </summary>
internal static class GetDataCommand
{
    public static Response Handle(AppletContext context, CommandApdu apdu)
    {
        int tag = (apdu.P1 << 8) | apdu.P2;
        var state = context.State;
        var openPgp = state.OpenPgp;
        var profile = openPgp.Profile;
        var session = context.Session.OpenPgp;
        byte[]? value = tag switch
        {
            0x004F => ApplicationData.Aid(state),
            0x005E => openPgp.LoginData,
            0x5F50 => openPgp.Url,
            0x5F52 => ApplicationData.HistoricalBytes(openPgp),
            0x0065 => ApplicationData.CardholderRelated(openPgp),
            0x005B => openPgp.Name,
            0x5F2D => openPgp.Language,
            0x5F35 => openPgp.Sex,
            0x006E => ApplicationData.ApplicationRelated(state),
            0x0073 => Tlv.TryParseSingle(ApplicationData.ApplicationRelated(state), 0x6E, out var related)
                && Tlv.TryParseAll(related, out var parts) && Tlv.Find(parts, 0x73) is { } discretionary
                ? Tlv.Encode(0x73, discretionary.Value.Span) : null,
            0x00C0 => profile.ExtendedCapabilities.ToArray(),
            0x00C4 => ApplicationData.PasswordStatus(openPgp),
            0x00C5 => ApplicationData.Fingerprints(openPgp),
            0x00C6 => ApplicationData.CaFingerprints(openPgp),
            0x00CD => ApplicationData.GenerationTimes(openPgp),
            0x00DE => ApplicationData.KeyInformation(openPgp),
            0x7F66 => ApplicationData.ExtendedLengthInformation(profile),
            0x7F74 => ApplicationData.Features(),
            0x007A => ApplicationData.SecuritySupport(openPgp),
            0x0093 => ApplicationData.SignatureCounter(openPgp),
            0x00F9 => profile.KdfAnnounced ? openPgp.Kdf.ToArray() : null,
            0x00FA => ApplicationData.AlgorithmInformation(profile),
            0x7F21 => openPgp.Certificates[session.CertificateOccurrence],
            0x00FC when profile.YubicoExtensions => openPgp.AttestationCertificate,
            _ when KeyTags.FromAttributesTag(tag) is { } key && Has(profile, key) => openPgp.Slot(key).Algorithm.Encode(profile),
            >= 0x00D6 and <= 0x00D9 when Has(profile, (PgpKey)(tag - 0xD6)) => ApplicationData.Uif(openPgp.Slot((PgpKey)(tag - 0xD6))),
            >= 0x0101 and <= 0x0104 => PrivateDo(context, tag),
            _ => null,
        };

        if (tag is >= 0x0101 and <= 0x0104 && value is null)
        {
            return Response.Status(StatusWord.SecurityStatusNotSatisfied);
        }

        // A copy: the state's arrays must not travel with the response.
        return value is null ? Response.Status(StatusWord.ReferenceNotFound) : Response.Ok([.. value]);
    }

    /// <summary>GET NEXT DATA 7F21: the next certificate occurrence (3.4 §7.2.7); after the third, 6A 80 (5.4.3 trace).</summary>
    public static Response Next(AppletContext context, CommandApdu apdu)
    {
        if (apdu.P1 != 0x7F || apdu.P2 != 0x21)
        {
            return Response.Status(StatusWord.ReferenceNotFound);
        }

        var session = context.Session.OpenPgp;
        if (session.CertificateOccurrence >= 2)
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        session.CertificateOccurrence++;
        return Response.Ok([.. context.State.OpenPgp.Certificates[session.CertificateOccurrence]]);
    }

    /// <summary>0101 and 0102 anyone reads; 0103 after VERIFY 82; 0104 after VERIFY 83.</summary>
    private static byte[]? PrivateDo(AppletContext context, int tag)
    {
        var session = context.Session.OpenPgp;
        bool allowed = tag switch
        {
            0x0103 => session.UserPinForOther,
            0x0104 => session.AdminPin,
            _ => true,
        };
        return allowed ? context.State.OpenPgp.PrivateDos[tag - 0x0101] : null;
    }

    private static bool Has(OpenPgpProfile profile, PgpKey key) => key != PgpKey.Attestation || profile.YubicoExtensions;
}
