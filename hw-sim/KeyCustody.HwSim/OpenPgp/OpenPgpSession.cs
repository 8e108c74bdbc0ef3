namespace KeyCustody.HwSim.OpenPgp;

/// <summary>What the OpenPGP applet forgets on power off, reset, removal, and when another applet is selected.</summary>
internal sealed class OpenPgpSession
{
    /// <summary>VERIFY 81: PW1 for PSO:CDS (consumed by each signature when C4's first byte is 00).</summary>
    public bool UserPinForSigning { get; set; }

    /// <summary>VERIFY 82: PW1 for PSO:DECIPHER, INTERNAL AUTHENTICATE and the PW1-protected DOs.</summary>
    public bool UserPinForOther { get; set; }

    /// <summary>VERIFY 83: PW3, the Admin PIN.</summary>
    public bool AdminPin { get; set; }

    /// <summary>The occurrence of DO 7F21 that GET DATA and PUT DATA address (SELECT DATA, GET NEXT DATA): 0 AUT, 1 DEC, 2 SIG.</summary>
    public int CertificateOccurrence { get; set; }

    /// <summary>MANAGE SECURITY ENVIRONMENT: which key INTERNAL AUTHENTICATE and PSO:DECIPHER use.</summary>
    public PgpKey AuthenticateWith { get; set; } = PgpKey.Authentication;

    public PgpKey DecipherWith { get; set; } = PgpKey.Decryption;

    /// <summary>When the button was last pressed for an OpenPGP operation (UIF cached, 15 s).</summary>
    public DateTimeOffset? LastTouch { get; set; }

    /// <summary>Selecting another applet, TERMINATE: the PIN verifications end (the conservative reading, as for PIV).</summary>
    public void Clear()
    {
        UserPinForSigning = false;
        UserPinForOther = false;
        AdminPin = false;
        CertificateOccurrence = 0;
        AuthenticateWith = PgpKey.Authentication;
        DecipherWith = PgpKey.Decryption;
        LastTouch = null;
    }
}
