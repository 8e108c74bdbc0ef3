using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;

namespace KeyCustody.Cli.Migration;

/// <summary>
/// What the old self-signing and user-signing keys had vouched for, so the new ones vouch for the same: the user's
/// devices that carry a valid signature by the old self-signing key (and a valid self-signature of their own: a device
/// that does not is left out, and said so), and the other users' master keys the old user-signing key had signed.
/// </summary>
internal sealed record ResignPlan(IReadOnlyList<JsonObject> Devices, IReadOnlyList<JsonObject> Contacts, IReadOnlyList<string> Skipped)
{
    public static ResignPlan From(PublishedIdentity published)
    {
        var devices = new List<JsonObject>();
        var contacts = new List<JsonObject>();
        var skipped = new List<string>();
        if (published.SelfSigning is { } oldSsk)
        {
            foreach (var (id, json) in published.Devices())
            {
                if (!DeviceKeys.TryParse(json, out var device, out var error))
                {
                    skipped.Add($"device {id}: malformed ({error})");
                }
                else if (!device!.VerifySignedBy(oldSsk.PublicKey).IsValid)
                {
                    skipped.Add($"device {id}: not cross-signed by the old self-signing key (it was not verified before; it is left as it is)");
                }
                else if (!device.VerifySelfSignature().IsValid)
                {
                    skipped.Add($"device {id}: its own self-signature does not verify, so it is not signed again");
                }
                else
                {
                    devices.Add(json);
                }
            }
        }

        if (published.UserSigning is { } oldUsk)
        {
            foreach (var (_, json) in published.OtherMasters())
            {
                if (SignedJson.Verify(json, published.UserId, oldUsk.KeyId, oldUsk.PublicKey).IsValid)
                {
                    contacts.Add(json);
                }
            }
        }

        return new ResignPlan(devices, contacts, skipped);
    }
}
