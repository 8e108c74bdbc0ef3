using KeyCustody.Tokens.Pkcs11.Native;

namespace KeyCustody.Tokens.Pkcs11;

/// <summary>Finds a token by label or serial among a module's slots, and sizes its session pool.</summary>
internal static class Pkcs11SlotFinder
{
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

        var seen = new List<string>();
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

            if (!info.TokenInitialized)
            {
                continue;
            }

            var label = info.Label.Trim();
            var serial = info.SerialNumber.Trim();
            seen.Add($"\"{label}\" ({serial})");
            if ((options.TokenLabel is not null && label == options.TokenLabel) || (options.TokenSerial is not null && serial == options.TokenSerial))
            {
                return (slot, info);
            }
        }

        var what = options.TokenLabel is not null ? $"labelled \"{options.TokenLabel}\"" : $"with serial {options.TokenSerial}";
        throw TokenErrors.TokenNotFound(
            $"{what} in {options.ModulePath}",
            seen.Count == 0 ? "the module shows no initialised token" : "present: " + string.Join(", ", seen));
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
