namespace KeyCustody.Tokens;

/// <summary>
/// A device (or, for development, a file) that holds Ed25519 private keys and signs with them. Private keys
/// never leave it. Every signature returned has been verified against the key's public key.
/// Implementations are safe to call from several threads; a device that can do one operation at a time
/// serialises them.
/// </summary>
public interface ISigningToken : IDisposable
{
    /// <summary>False for the software token: the daemon refuses it for the master key.</summary>
    bool IsHardwareBacked { get; }

    /// <summary>Serial, firmware, PIN retries left.</summary>
    TokenStatus GetStatus(CancellationToken cancellation = default);

    /// <summary>The Ed25519 keys on the token.</summary>
    IReadOnlyList<TokenKey> ListKeys(CancellationToken cancellation = default);

    /// <summary>The key <paramref name="keyId"/> (public part and policies); <see cref="KeyNotFoundOnTokenException"/> if absent.</summary>
    TokenKey GetKey(string keyId, CancellationToken cancellation = default);

    /// <summary>Generates an Ed25519 key pair on the token (the private key is created there and never exported).</summary>
    Task<TokenKey> GenerateKeyAsync(KeyGenerationRequest request, TokenInteraction interaction, CancellationToken cancellation = default);

    /// <summary>
    /// Imports an Ed25519 private key (its 32-byte RFC 8032 seed) for master-key backups: the same seed goes to a
    /// primary and a backup token. The token reports the key's origin as imported, and attests nothing about it.
    /// The caller owns and zeroes <paramref name="seed"/>. <see cref="NotSupportedByTokenException"/> where the token cannot.
    /// </summary>
    Task<TokenKey> ImportKeyAsync(KeyGenerationRequest request, Secret seed, TokenInteraction interaction, CancellationToken cancellation = default);

    /// <summary>
    /// Pure Ed25519 (RFC 8032) over <paramref name="message"/>. Asks <paramref name="interaction"/> for the PIN when
    /// the key's policy needs it, and tells it before an operation that will wait for a touch. The signature is
    /// verified before it is returned: against <paramref name="expectedPublicKey"/> when the caller gives one (the
    /// 32-byte key it has pinned, so it need not verify the same signature again), otherwise against the public key
    /// the token reports for <paramref name="keyId"/>. One that does not verify is discarded:
    /// <see cref="TokenException"/> of kind <see cref="TokenErrorKind.SignatureInvalid"/>.
    /// </summary>
    Task<byte[]> SignAsync(string keyId, ReadOnlyMemory<byte> message, TokenInteraction interaction, ReadOnlyMemory<byte> expectedPublicKey, CancellationToken cancellation = default);

    /// <summary><see cref="SignAsync(string, ReadOnlyMemory{byte}, TokenInteraction, ReadOnlyMemory{byte}, CancellationToken)"/>, verified against the key the token reports.</summary>
    Task<byte[]> SignAsync(string keyId, ReadOnlyMemory<byte> message, TokenInteraction interaction, CancellationToken cancellation = default);

    /// <summary>Proof from the device that the key was generated on it; <see cref="NotSupportedByTokenException"/> where there is none.</summary>
    KeyAttestation Attest(string keyId, CancellationToken cancellation = default);
}
