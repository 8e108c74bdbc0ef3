namespace KeyCustody.Matrix.Trust;

/// <summary>The links of the MSC1756 trust chain, in the order they are checked.</summary>
public enum TrustLink
{
    /// <summary>The viewer's own master key, as published, against the one the viewer trusts.</summary>
    OwnMasterKey,
    /// <summary>The viewer's user-signing key, signed by the viewer's master key.</summary>
    OwnUserSigningKey,
    /// <summary>The device owner's master key; for other users, signed by the viewer's user-signing key.</summary>
    MasterKey,
    /// <summary>The device owner's self-signing key, signed by the owner's master key.</summary>
    SelfSigningKey,
    /// <summary>The device keys: well-formed, self-signed, signed by the owner's self-signing key.</summary>
    Device,
}

public enum TrustProblem
{
    Missing,
    Malformed,
    UserIdMismatch,
    /// <summary>The published master key differs from the pinned one.</summary>
    PinMismatch,
    SignatureMissing,
    SignatureInvalid,
    /// <summary>A device ID equals one of the user's cross-signing public keys (spec: refuse to verify that user).</summary>
    DeviceIdCollision,
}

/// <summary>Which link of the chain failed, and why, in words a person can act on.</summary>
public sealed record TrustFailure(TrustLink Link, TrustProblem Problem, string Message);

/// <summary>The verdict for one device: trusted, or the first link that failed.</summary>
public sealed record DeviceTrust(string UserId, string DeviceId, TrustFailure? Failure)
{
    public bool Trusted => Failure is null;
}
