using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.OpenPgp.Keys;
using KeyCustody.HwSim.OpenPgp.State;

namespace KeyCustody.HwSim.OpenPgp.Commands;

/// <summary>
/// PUT DATA (DA, P1P2 = tag) (3.4 §7.2.8): 0101 and 0103 after VERIFY 82, everything else after VERIFY 83; otherwise
/// 69 82. A value too long for the DO answers 67 00, one the DO cannot hold 6A 80, a tag that cannot be written 6A 88.
/// </summary>
internal static class PutDataCommand
{
    private const int MaxNameLength = 39;

    /// <summary>KDF DO "none": the only KDF setting this card takes (its PINs are compared as sent).</summary>
    private static ReadOnlySpan<byte> NoKdf => [0x81, 0x01, 0x00];

    public static Response Handle(AppletContext context, CommandApdu apdu)
    {
        int tag = (apdu.P1 << 8) | apdu.P2;
        var openPgp = context.State.OpenPgp;
        var profile = openPgp.Profile;
        var session = context.Session.OpenPgp;
        var data = apdu.Data;

        bool userDo = tag is 0x0101 or 0x0103;
        if (!Writable(profile, tag))
        {
            return Response.Status(StatusWord.ReferenceNotFound);
        }

        if (userDo ? !session.UserPinForOther : !session.AdminPin)
        {
            return Response.Status(StatusWord.SecurityStatusNotSatisfied);
        }

        var result = tag switch
        {
            >= 0x0101 and <= 0x0104 => Store(data, profile.MaxSpecialDoLength, v => Replace(openPgp.PrivateDos, tag - 0x0101, v)),
            0x005B => Store(data, MaxNameLength, v => openPgp.Name = v),
            0x005E => Store(data, profile.MaxSpecialDoLength, v => openPgp.LoginData = v),
            0x5F50 => Store(data, profile.MaxSpecialDoLength, v => openPgp.Url = v),
            0x5F2D => Store(data, 8, v => openPgp.Language = v),
            0x5F35 => data.Length == 1 && data[0] is 0x30 or 0x31 or 0x32 or 0x39 ? Store(data, 1, v => openPgp.Sex = v) : StatusWord.IncorrectData,
            0x7F21 => Store(data, profile.MaxCertificateLength, v => openPgp.Certificates[session.CertificateOccurrence] = v),
            0x00FC => Store(data, profile.MaxCertificateLength, v => openPgp.AttestationCertificate = v),
            0x00C4 => PasswordStatus(openPgp, data),
            0x00D3 => ResetCode(openPgp, data),
            0x00F9 => data.AsSpan().SequenceEqual(NoKdf) ? Store(data, 3, v => openPgp.Kdf = v) : StatusWord.IncorrectData,
            >= 0x00D6 and <= 0x00D9 => Uif(openPgp.Slot((PgpKey)(tag - 0xD6)), profile, data),
            _ when KeyTags.FromAttributesTag(tag) is { } key => Attributes(openPgp.Slot(key), key, data),
            _ => KeyDo(openPgp, tag, data),
        };

        if (result == StatusWord.Success)
        {
            context.State.Dirty = true;
            return Response.Ok();
        }

        return Response.Status(result);
    }

    private static bool Writable(OpenPgpProfile profile, int tag) => tag switch
    {
        >= 0x0101 and <= 0x0104 or 0x005B or 0x005E or 0x5F50 or 0x5F2D or 0x5F35 or 0x7F21 => true,
        0x00C1 or 0x00C2 or 0x00C3 or 0x00C4 or (>= 0x00C7 and <= 0x00D0) or 0x00D3 or 0x00D6 or 0x00D7 or 0x00D8 => true,
        0x00F9 => profile.KdfAnnounced,
        0x00D9 or 0x00DA or 0x00DB or 0x00DC or 0x00DD or 0x00FC => profile.YubicoExtensions,
        _ => false,
    };

    private static ushort Store(byte[] data, int maxLength, Action<byte[]> store)
    {
        if (data.Length > maxLength)
        {
            return StatusWord.WrongLength;
        }

        store(data.ToArray());
        return StatusWord.Success;
    }

    private static void Replace(byte[][] values, int index, byte[] value)
    {
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(values[index]);
        values[index] = value;
    }

    /// <summary>C4: only the first byte changes (PW1 valid for one signature or several); one byte, or the whole DO.</summary>
    private static ushort PasswordStatus(OpenPgpState openPgp, byte[] data)
    {
        if (data.Length is not (1 or 4 or 7) || data[0] > 1)
        {
            return StatusWord.IncorrectData;
        }

        openPgp.UserPinValidForSeveral = data[0] == 1;
        return StatusWord.Success;
    }

    /// <summary>D3: a resetting code of 8 to 127 bytes with a full counter; empty data removes it.</summary>
    private static ushort ResetCode(OpenPgpState openPgp, byte[] data)
    {
        if (data.Length != 0 && !PasswordRules.LengthFits(data.Length, PasswordRules.ResetCodeMinimum))
        {
            return StatusWord.IncorrectData;
        }

        openPgp.ResetCode.Set(data);
        return StatusWord.Success;
    }

    /// <summary>
    /// D6-D9: <c>mode 20</c>. A fixed mode (02, 04) cannot be changed while the key is there ("can't be disabled without
    /// deleting the private key", ykman; the card answers 69 82, which ykman reports as "Touch policy not allowed.").
    /// </summary>
    private static ushort Uif(PgpKeySlot slot, OpenPgpProfile profile, byte[] data)
    {
        if (data.Length is not (1 or 2) || !profile.UifModes.Contains(data[0]))
        {
            return StatusWord.IncorrectData;
        }

        if (slot.UifFixed && slot.Key is not null && data[0] != slot.Uif)
        {
            return StatusWord.SecurityStatusNotSatisfied;
        }

        slot.Uif = data[0];
        return StatusWord.Success;
    }

    /// <summary>C1-C3, DA: an algorithm the key can hold; a different one deletes the key (ykman deletes keys this way).</summary>
    private static ushort Attributes(PgpKeySlot slot, PgpKey key, byte[] data)
    {
        if (PgpAlgorithm.Parse(data) is not { } algorithm || !algorithm.FitsKey(key))
        {
            return StatusWord.IncorrectData;
        }

        slot.ChangeAlgorithm(algorithm);
        return StatusWord.Success;
    }

    /// <summary>C7-C9/DB fingerprints and CA-CC/DC CA fingerprints (20 bytes), CE-D0/DD generation times (4 bytes).</summary>
    private static ushort KeyDo(OpenPgpState openPgp, int tag, byte[] data)
    {
        foreach (var key in ApplicationData.Keys(openPgp.Profile))
        {
            var slot = openPgp.Slot(key);
            if (tag == KeyTags.Fingerprint(key) || tag == KeyTags.CaFingerprint(key))
            {
                if (data.Length != 20)
                {
                    return StatusWord.WrongLength;
                }

                if (tag == KeyTags.Fingerprint(key))
                {
                    slot.SetFingerprint(data);
                }
                else
                {
                    slot.SetCaFingerprint(data);
                }

                return StatusWord.Success;
            }

            if (tag == KeyTags.GenerationTime(key))
            {
                if (data.Length != 4)
                {
                    return StatusWord.WrongLength;
                }

                slot.SetGenerationTime(data);
                return StatusWord.Success;
            }
        }

        return StatusWord.ReferenceNotFound;
    }
}
