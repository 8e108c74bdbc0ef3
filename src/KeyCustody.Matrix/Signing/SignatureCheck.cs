namespace KeyCustody.Matrix.Signing;

/// <summary>Outcome of checking one signature (spec appendix "Checking for a Signature").</summary>
public enum SignatureStatus
{
    Valid,
    /// <summary>The object has no <c>signatures</c> member.</summary>
    NoSignatures,
    /// <summary><c>signatures</c> or its entry for the entity is not an object.</summary>
    SignaturesMalformed,
    /// <summary><c>signatures</c> has no entry for the entity.</summary>
    NoSignatureFromEntity,
    /// <summary>The entity's entry has no signature under the key id.</summary>
    NoSignatureForKey,
    /// <summary>The key id names an algorithm other than ed25519.</summary>
    UnsupportedAlgorithm,
    /// <summary>The signature is not a string, not base64, or not 64 bytes.</summary>
    SignatureMalformed,
    /// <summary>The signature does not verify over the canonical bytes with the given key.</summary>
    Invalid,
}

/// <summary>The result of <see cref="SignedJson.Verify"/>: valid, or which step failed and why.</summary>
public sealed record SignatureCheck(SignatureStatus Status, string Reason)
{
    public bool IsValid => Status == SignatureStatus.Valid;

    internal static SignatureCheck Ok { get; } = new(SignatureStatus.Valid, "valid signature");
}
