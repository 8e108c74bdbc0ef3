using System.Security.Cryptography;
using KeyCustody.HwSim.OpenPgp;

namespace KeyCustody.HwSim.State;

/// <summary>The applets a SELECT can make current.</summary>
internal enum SelectedApplet
{
    None,
    Piv,
    Management,
    OpenPgp,
}

/// <summary>What the card forgets on power off, power on and reset.</summary>
internal sealed class SessionState
{
    public SelectedApplet Selected { get; set; }

    /// <summary>The OpenPGP applet's PIN verifications and selections.</summary>
    public OpenPgpSession OpenPgp { get; } = new();

    /// <summary>Set by a command that reboots the key (WRITE CONFIG with tag 0C): the session ends after its answer.</summary>
    public bool RebootRequested { get; set; }
    public bool PinVerified { get; set; }

    /// <summary>Set by a successful VERIFY, consumed by the next private-key operation (PIN policy ALWAYS).</summary>
    public bool PinAlwaysArmed { get; set; }

    public bool ManagementAuthenticated { get; set; }

    /// <summary>The witness (mutual) or challenge (single) of a management-key authentication in progress.</summary>
    public byte[]? PendingWitness { get; set; }

    public byte[]? PendingChallenge { get; set; }

    /// <summary>When the button was last pressed for an operation (touch policy CACHED).</summary>
    public DateTimeOffset? LastTouch { get; set; }

    /// <summary>
    /// Another applet was selected: PIV's security status (PIN, management key) does not survive it. Our model: the
    /// conservative reading, so a client that re-verifies works on both; the real card is unverified (README).
    /// </summary>
    public void LeavePiv()
    {
        PinVerified = false;
        PinAlwaysArmed = false;
        ManagementAuthenticated = false;
        ClearAuthenticationInProgress();
    }

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
