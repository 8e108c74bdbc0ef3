namespace KeyCustody.Contract.Attestation;

/// <summary>An attestation that does not say what it must: the key is not trusted.</summary>
public sealed class AttestationMismatchException(string message) : Exception(message);
