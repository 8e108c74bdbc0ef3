namespace KeyCustody.Matrix.Signing;

/// <summary>Something that holds an Ed25519 private key and signs whole messages with it (pure Ed25519).</summary>
public interface IEd25519Signer
{
    Ed25519PublicKey PublicKey { get; }

    /// <summary>Signs <paramref name="message"/>, writing the 64-byte signature to <paramref name="signature"/>.</summary>
    void Sign(ReadOnlySpan<byte> message, Span<byte> signature);
}
