using System.Security.Cryptography;

namespace KeyCustody.HwSim.State;

/// <summary>What the card forgets on power off, power on and reset.</summary>
internal sealed class SessionState
{
    public bool PivSelected { get; set; }
    public bool PinVerified { get; set; }

    /// <summary>Set by a successful VERIFY, consumed by the next private-key operation (PIN policy ALWAYS).</summary>
    public bool PinAlwaysArmed { get; set; }

    public bool ManagementAuthenticated { get; set; }

    /// <summary>The witness (mutual) or challenge (single) of a management-key authentication in progress.</summary>
    public byte[]? PendingWitness { get; set; }

    public byte[]? PendingChallenge { get; set; }

    /// <summary>When the button was last pressed for an operation (touch policy CACHED).</summary>
    public DateTimeOffset? LastTouch { get; set; }

    public void ClearAuthenticationInProgress()
    {
        if (PendingWitness is not null)
        {
            CryptographicOperations.ZeroMemory(PendingWitness);
        }

        if (PendingChallenge is not null)
        {
            CryptographicOperations.ZeroMemory(PendingChallenge);
        }

        PendingWitness = null;
        PendingChallenge = null;
    }
}
