using System.Security.Cryptography;
using KeyCustody.HwSim.Applet;

namespace KeyCustody.HwSim.State;

/// <summary>The card's management key (slot 9B): algorithm, value, touch flag. Owns and zeroes the value.</summary>
public sealed class ManagementKey : IDisposable
{
    /// <summary>01 02 03 04 05 06 07 08 three times: the value on every new YubiKey.</summary>
    public static readonly byte[] DefaultValue =
    [
        1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8,
    ];

    private byte[] _value;

    public ManagementKey(ManagementKeyAlgorithm algorithm, ReadOnlySpan<byte> value, bool touchRequired)
    {
        Algorithm = algorithm;
        _value = value.ToArray();
        TouchRequired = touchRequired;
    }

    public ManagementKeyAlgorithm Algorithm { get; private set; }
    public bool TouchRequired { get; private set; }
    public bool IsDefault => _value.Length == 24 && CryptographicOperations.FixedTimeEquals(_value, DefaultValue);

    internal ReadOnlySpan<byte> Value => _value;

    public static ManagementKey Factory(ManagementKeyAlgorithm algorithm) => new(algorithm, DefaultValue, false);

    public void Replace(ManagementKeyAlgorithm algorithm, ReadOnlySpan<byte> value, bool touchRequired)
    {
        CryptographicOperations.ZeroMemory(_value);
        _value = value.ToArray();
        Algorithm = algorithm;
        TouchRequired = touchRequired;
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_value);
}
