using System.Text;
using NSec.Cryptography;

namespace KeyCustody.Tokens.Tests.Support;

/// <summary>A scripted person: answers PIN prompts with a given PIN and records every prompt.</summary>
internal sealed class Prompts
{
    public static readonly byte[] DefaultManagementKey = Convert.FromHexString("010203040506070801020304050607080102030405060708");

    public List<PinPrompt> PinRequests { get; } = [];
    public List<PresencePrompt> PresenceRequests { get; } = [];

    /// <summary>Runs inside the presence hook, before the token sends the operation that waits for a touch.</summary>
    public Action<PresencePrompt>? OnPresence { get; set; }

    public const string DefaultAdminPin = "12345678";

    public List<PinPrompt> AdminPinRequests { get; } = [];

    public TokenInteraction With(string? pin, bool allowLastRetry = false, byte[]? managementKey = null, string? adminPin = DefaultAdminPin) => new()
    {
        AdminPin = adminPin is null ? null : (prompt, _) =>
        {
            AdminPinRequests.Add(prompt);
            return ValueTask.FromResult<Secret?>(Secret.Copy(Encoding.ASCII.GetBytes(adminPin)));
        },
        Pin = pin is null ? null : (prompt, _) =>
        {
            PinRequests.Add(prompt);
            return ValueTask.FromResult<Secret?>(Secret.Copy(Encoding.ASCII.GetBytes(pin)));
        },
        ManagementKey = _ => ValueTask.FromResult<Secret?>(Secret.Copy(managementKey ?? DefaultManagementKey)),
        Presence = (prompt, _) =>
        {
            PresenceRequests.Add(prompt);
            OnPresence?.Invoke(prompt);
            return ValueTask.CompletedTask;
        },
        AllowLastPinRetry = allowLastRetry,
    };
}

internal static class Ed25519Oracle
{
    /// <summary>Verification with NSec directly, independent of the token code's own check.</summary>
    public static bool Verifies(byte[] publicKey, byte[] message, byte[] signature) =>
        SignatureAlgorithm.Ed25519.Verify(
            PublicKey.Import(SignatureAlgorithm.Ed25519, publicKey, KeyBlobFormat.RawPublicKey), message, signature);
}
