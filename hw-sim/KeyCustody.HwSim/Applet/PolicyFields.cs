using KeyCustody.HwSim.Apdu;

namespace KeyCustody.HwSim.Applet;

/// <summary>Reads the optional PIN (AA) and touch (AB) policy fields of GENERATE and IMPORT, resolving defaults.</summary>
internal static class PolicyFields
{
    public static bool TryRead(List<Tlv> fields, byte slot, out PinPolicy pin, out TouchPolicy touch)
    {
        pin = PivSlots.DefaultPinPolicy(slot);
        touch = TouchPolicy.Never;
        if (Tlv.Find(fields, 0xAA) is { } pinField)
        {
            if (pinField.Value.Length != 1 || pinField.Value.Span[0] > (byte)PinPolicy.Always)
            {
                return false;
            }

            if (pinField.Value.Span[0] != 0)
            {
                pin = (PinPolicy)pinField.Value.Span[0];
            }
        }

        if (Tlv.Find(fields, 0xAB) is { } touchField)
        {
            if (touchField.Value.Length != 1 || touchField.Value.Span[0] > (byte)TouchPolicy.Cached)
            {
                return false;
            }

            if (touchField.Value.Span[0] != 0)
            {
                touch = (TouchPolicy)touchField.Value.Span[0];
            }
        }

        return true;
    }
}
