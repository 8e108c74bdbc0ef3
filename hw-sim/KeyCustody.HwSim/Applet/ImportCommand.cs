using System.Security.Cryptography;
using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.Crypto;

namespace KeyCustody.HwSim.Applet;

/// <summary>
/// IMPORT ASYMMETRIC KEY (FE, P1 = algorithm): RSA as 01 p, 02 q, 03 dP, 04 dQ, 05 qInv; P-256/P-384 scalar (06);
/// Ed25519 seed (07); X25519 scalar (08). F9 accepts an attestation key (RSA 2048+ or EC), as on a YubiKey.
/// </summary>
internal static class ImportCommand
{
    public static Response Handle(AppletContext context, CommandApdu apdu)
    {
        if (!context.Session.ManagementAuthenticated)
        {
            return Response.Status(StatusWord.SecurityStatusNotSatisfied);
        }

        byte slot = apdu.P2;
        if (!PivSlots.IsKeySlot(slot))
        {
            return Response.Status(StatusWord.ReferenceNotFound);
        }

        var algorithm = (KeyAlgorithm)apdu.P1;
        if (!PivAlgorithms.IsSupported(algorithm, context.State.Profile) || (slot == PivSlots.Attestation && !PivAlgorithms.CanAttest(algorithm))
            || !Tlv.TryParseAll(apdu.Data, out var fields)
            || !PolicyFields.TryRead(fields, slot, out var pinPolicy, out var touchPolicy))
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        var material = Material(algorithm, fields);
        SlotKey? key = null;
        try
        {
            key = material is null ? null : SlotKey.FromPrivate(algorithm, material, pinPolicy, touchPolicy, KeyOrigin.Imported);
            if (key is null)
            {
                return Response.Status(StatusWord.IncorrectData);
            }

            context.State.SetKey(slot, key);
            key = null;
            return Response.Ok();
        }
        finally
        {
            key?.Dispose();
            if (material is not null)
            {
                CryptographicOperations.ZeroMemory(material);
            }
        }
    }

    /// <summary>A copy of the private part: the scalar or seed, or for RSA the CRT TLVs 01..05 (the caller zeroes it).</summary>
    private static byte[]? Material(KeyAlgorithm algorithm, List<Tlv> fields)
    {
        if (PivAlgorithms.IsRsa(algorithm))
        {
            var parts = fields.Where(f => f.Tag is >= 1 and <= 5).Select(f => Tlv.Encode(f.Tag, f.Value.Span)).ToArray();
            try
            {
                return parts.Length == 0 ? null : Tlv.Concat(parts);
            }
            finally
            {
                foreach (var part in parts)
                {
                    CryptographicOperations.ZeroMemory(part);
                }
            }
        }

        int tag = algorithm switch
        {
            KeyAlgorithm.EccP256 or KeyAlgorithm.EccP384 => 0x06,
            KeyAlgorithm.Ed25519 => 0x07,
            KeyAlgorithm.X25519 => 0x08,
            _ => 0,
        };
        return Tlv.Find(fields, tag) is { } material ? material.Value.ToArray() : null;
    }
}
