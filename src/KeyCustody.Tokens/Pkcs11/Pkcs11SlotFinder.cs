using KeyCustody.Tokens.Pkcs11.Native;

namespace KeyCustody.Tokens.Pkcs11;

/// <summary>Finds a token by label or serial among a module's slots, and sizes its session pool.</summary>
internal static class Pkcs11SlotFinder
{
    /// <summary>
    /// The one initialised token with the label or serial asked for. More than one is refused, naming them all: taking
    /// the first would send the PIN to whichever the module lists first, and anyone who can initialise a token (or
    /// plug one in) can give it a label, and a fake device any serial.
    /// </summary>
    public static (Pkcs11Slot Slot, Pkcs11TokenInfo Info) Find(Pkcs11Module module, Pkcs11TokenOptions options)
    {
        List<Pkcs11Slot> slots;
        try
        {
            slots = module.GetSlotList();
        }
        catch (Pkcs11CallException e)
        {
            throw Pkcs11Errors.ToError(e, module.Path, "C_GetSlotList");
        }

        var present = new List<(Pkcs11Slot Slot, Pkcs11TokenInfo Info, string Label, string Serial)>();
        foreach (var slot in slots)
        {
            Pkcs11TokenInfo info;
            try
            {
                info = slot.GetTokenInfo();
            }
            catch (Pkcs11CallException)
            {
                continue;
            }

            if (info.TokenInitialized)
            {
                present.Add((slot, info, info.Label.Trim(), info.SerialNumber.Trim()));
            }
        }

        bool byLabel = options.TokenLabel is not null;
        var what = byLabel ? $"labelled \"{options.TokenLabel}\"" : $"with serial {options.TokenSerial}";
        var matching = present.Where(token => byLabel ? token.Label == options.TokenLabel : token.Serial == options.TokenSerial).ToList();
        if (matching.Count == 1)
        {
            return (matching[0].Slot, matching[0].Info);
        }

        if (matching.Count > 1)
        {
            var candidates = string.Join(", ", matching.Select(token => $"slot {token.Slot.Id}: \"{token.Label}\", serial {token.Serial}"));
            bool serialsTell = matching.All(token => present.Count(other => other.Serial == token.Serial) == 1);
            var choose = byLabel && serialsTell
                ? "Choose one by its serial (tokenSerial instead of tokenLabel), or remove the token that should not be there"
                : byLabel
                    ? "Their serials do not tell them apart either: remove the token that should not be there, or give one another label"
                    : "Two tokens claiming one serial means one is not what it claims (or the module shows one token twice): remove the one that should not be there";
            throw TokenErrors.TokenAmbiguous($"{what} in {options.ModulePath}", candidates, choose);
        }

        throw TokenErrors.TokenNotFound(
            $"{what} in {options.ModulePath}",
            present.Count == 0 ? "the module shows no initialised token" : "present: " + string.Join(", ", present.Select(token => $"\"{token.Label}\" ({token.Serial})")));
    }

    public static int PoolSize(int? requested, Pkcs11TokenInfo info)
    {
        int size = requested ?? Environment.ProcessorCount;
        if (size < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(requested), "a session pool has at least one session");
        }

        // 0 = CK_EFFECTIVELY_INFINITE, all ones = CK_UNAVAILABLE_INFORMATION. Keep one session for administration.
        ulong max = info.MaxSessionCount;
        return max is 0 or ulong.MaxValue || max > int.MaxValue ? size : Math.Max(1, Math.Min(size, (int)max - 1));
    }
}
