using System.Security.Cryptography;

namespace KeyCustody.HwSim.OpenPgp.State;

/// <summary>
/// PW1, PW3 or the resetting code: a value of any length the card accepts (up to 127 bytes, no padding, unlike PIV) and
/// its retry counter. An unset resetting code has no value and 0 tries left, as the YubiKey reports it. Owns and zeroes the value.
/// </summary>
public sealed class PgpPassword : IDisposable
{
    public const int MaxLength = 127;

    private byte[] _value;

    public PgpPassword(ReadOnlySpan<byte> value, int maxRetries, int remaining)
    {
        _value = value.ToArray();
        MaxRetries = maxRetries;
        Remaining = remaining;
    }

    /// <summary>123456 (PW1).</summary>
    public static ReadOnlySpan<byte> DefaultUserPin => "123456"u8;

    /// <summary>12345678 (PW3).</summary>
    public static ReadOnlySpan<byte> DefaultAdminPin => "12345678"u8;

    public const int DefaultRetries = 3;

    public int MaxRetries { get; private set; }

    public int Remaining { get; private set; }

    public bool IsSet => _value.Length > 0;

    public bool IsBlocked => Remaining == 0;

    public int Length => _value.Length;

    internal ReadOnlySpan<byte> Value => _value;

    /// <summary>A match restores the counter; a miss costs one try.</summary>
    public bool Check(ReadOnlySpan<byte> candidate)
    {
        if (IsSet && candidate.Length == _value.Length && CryptographicOperations.FixedTimeEquals(candidate, _value))
        {
            Remaining = MaxRetries;
            return true;
        }

        Remaining = Math.Max(0, Remaining - 1);
        return false;
    }

    /// <summary>A new value (empty: unset) with a full counter (an unset code keeps 0 tries).</summary>
    public void Set(ReadOnlySpan<byte> value)
    {
        CryptographicOperations.ZeroMemory(_value);
        _value = value.ToArray();
        Remaining = IsSet ? MaxRetries : 0;
    }

    /// <summary>Yubico's SET PIN RETRIES: a new maximum, and the counter full again (0 for an unset code).</summary>
    public void SetMaxRetries(int maxRetries)
    {
        MaxRetries = maxRetries;
        Remaining = IsSet ? maxRetries : 0;
    }

    /// <summary>Loading a state file: the tries left as they were written.</summary>
    internal void Restore(int remaining) => Remaining = Math.Clamp(remaining, 0, MaxRetries);

    public void Dispose() => CryptographicOperations.ZeroMemory(_value);
}
