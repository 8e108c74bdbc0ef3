namespace KeyCustody.Tokens.OpenPgp.Data;

/// <summary>What the card says of one key slot (key information DE, §4.4.3.8; fingerprints C5 on cards without DE).</summary>
internal enum KeyStatus
{
    /// <summary>The card does not say (no DE); the fingerprint is our only hint.</summary>
    Unknown,
    Absent,
    Generated,
    Imported,
}
