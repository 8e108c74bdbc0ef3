using KeyCustody.Daemon.Keys;
using KeyCustody.Daemon.Security;
using KeyCustody.Matrix.Policy;
using KeyCustody.Matrix.Signing;
using KeyCustody.Protos.V1;

namespace KeyCustody.Daemon.Grpc;

/// <summary>A configured key as the wire contract's <c>KeyInfo</c>, with the operations the caller may do with it.</summary>
internal static class KeyMessages
{
    internal static KeyInfo Describe(KeyEntry k, Operations granted)
    {
        var info = new KeyInfo
        {
            Name = k.Name,
            Role = k.Settings.Role.ToConfigName(),
            Owner = k.Settings.Owner,
            PublicKey = k.PublicKey?.Base64 ?? string.Empty,
            KeyId = k.MatrixKeyName is { } n ? SignedJson.Ed25519Prefix + n : string.Empty,
            Token = k.Token.Name,
            TokenKind = k.Token.Kind,
            TokenSerial = k.Token.Serial,
            HardwareBacked = k.Token.IsHardwareBacked,
            Presence = k.PresenceKind.ToString().ToLowerInvariant(),
            PinPolicy = k.Info is null ? string.Empty : k.Info.PinPolicy.ToString().ToLowerInvariant(),
            TouchPolicy = k.Info is null ? string.Empty : k.Info.TouchPolicy.ToString().ToLowerInvariant(),
            Origin = k.Info is null ? string.Empty : k.Info.Origin.ToString().ToLowerInvariant(),
            BackupOf = k.Settings.BackupOf ?? string.Empty,
            Provenance = ProvenanceMessages.ToProto(k),
            Problem = k.Problem ?? string.Empty,
        };
        foreach (var op in new[] { (Operations.Sign, "sign"), (Operations.Approve, "approve"), (Operations.Admin, "admin") })
        {
            if ((granted & op.Item1) != 0)
            {
                info.Operations.Add(op.Item2);
            }
        }

        return info;
    }
}
