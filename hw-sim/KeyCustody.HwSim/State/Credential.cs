using System.Security.Cryptography;

namespace KeyCustody.HwSim.State;

/// <summary>The PIN or the PUK: its 8-byte padded value and its retry counter. Owns and zeroes the value.</summary>
public sealed class Credential : IDisposable
{
    public static readonly byte[] DefaultPin = [0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0xFF, 0xFF];
    public static readonly byte[] DefaultPuk = [0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38];
    public const int DefaultRetries = 3;

    private readonly byte[] _value = new byte[8];
    private readonly byte[] _factoryValue;

    public Credential(ReadOnlySpan<byte> factoryValue, ReadOnlySpan<byte> value, int maxRetries, int remaining)
    {
        _factoryValue = factoryValue.ToArray();
        value.CopyTo(_value);
        MaxRetries = maxRetries;
        Remaining = remaining;
    }

    public int MaxRetries { get; private set; }
    public int Remaining { get; private set; }
    public bool IsBlocked => Remaining == 0;
    public bool IsDefault => CryptographicOperations.FixedTimeEquals(_value, _factoryValue);

    internal ReadOnlySpan<byte> Value => _value;

    public static Credential Factory(ReadOnlySpan<byte> factoryValue) =>
        new(factoryValue, factoryValue, DefaultRetries, DefaultRetries);

    /// <summary>Checks a candidate; a match restores the counter, a miss consumes one try.</summary>
    public bool Check(ReadOnlySpan<byte> candidate)
    {
        if (candidate.Length == 8 && CryptographicOperations.FixedTimeEquals(candidate, _value))
        {
            Remaining = MaxRetries;
            return true;
        }

        Remaining = Math.Max(0, Remaining - 1);
        return false;
    }

    public void Change(ReadOnlySpan<byte> newValue)
    {
        newValue.CopyTo(_value);
        Remaining = MaxRetries;
    }

    /// <summary>Back to the factory value with a new maximum (SET PIN RETRIES, RESET).</summary>
    public void ResetToFactory(int maxRetries)
    {
        _factoryValue.CopyTo(_value, 0);
        MaxRetries = maxRetries;
        Remaining = maxRetries;
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_value);
}
