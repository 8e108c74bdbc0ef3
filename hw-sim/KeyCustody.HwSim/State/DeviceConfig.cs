using System.Security.Cryptography;
using KeyCustody.HwSim.Management;

namespace KeyCustody.HwSim.State;

/// <summary>
/// The management applet's writable configuration (WRITE CONFIG): enabled applications per transport, timeouts,
/// flags and the configuration lock code. Owns and zeroes the lock code.
/// </summary>
public sealed class DeviceConfig : IDisposable
{
    public const int LockCodeLength = 16;

    private readonly byte[] _lockCode = new byte[LockCodeLength];

    public Capabilities UsbEnabled { get; set; } = Capabilities.YubiKey5Usb;
    public Capabilities NfcEnabled { get; set; } = Capabilities.YubiKey5NfcEnabled;
    public ushort AutoEjectTimeout { get; set; }

    /// <summary>Seconds the OTP challenge-response waits for a touch (15 from the factory).</summary>
    public byte ChallengeResponseTimeout { get; set; } = 15;

    public byte DeviceFlags { get; set; }
    public bool NfcRestricted { get; set; }

    /// <summary>A lock code is set (all zeros means none): WRITE CONFIG then needs it.</summary>
    public bool IsLocked => _lockCode.AsSpan().IndexOfAnyExcept((byte)0) >= 0;

    internal ReadOnlySpan<byte> LockCode => _lockCode;

    public bool IsEnabledOverUsb(Capabilities capability) => (UsbEnabled & capability) == capability;

    public bool LockCodeMatches(ReadOnlySpan<byte> candidate) =>
        candidate.Length == LockCodeLength && CryptographicOperations.FixedTimeEquals(candidate, _lockCode);

    /// <summary>Sets a new lock code; all zeros removes the lock.</summary>
    public void SetLockCode(ReadOnlySpan<byte> value)
    {
        if (value.Length != LockCodeLength)
        {
            throw new ArgumentException("the lock code is 16 bytes", nameof(value));
        }

        value.CopyTo(_lockCode);
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_lockCode);
}
