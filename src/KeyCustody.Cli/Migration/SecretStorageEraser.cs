using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.SecretStorage;

namespace KeyCustody.Cli.Migration;

/// <summary>
/// <c>--erase-from-secret-storage</c>: each of the three cross-signing secrets is overwritten the way matrix-rust-sdk
/// does when recovery is disabled (<c>{"encrypted": {}}</c>), then read back to see that nothing is left. The key
/// description, the default key and every other secret (the key backup's key among them) are left as they are.
/// </summary>
internal static class SecretStorageEraser
{
    public static async Task<List<string>> EraseAsync(AccountData accountData, string userId, CancellationToken ct)
    {
        var erased = new List<string>();
        foreach (var usage in new[] { KeyUsage.Master, KeyUsage.SelfSigning, KeyUsage.UserSigning })
        {
            var name = SecretStorageSecrets.SecretName(usage);
            await accountData.PutAsync(name, JsonObject.Of(("encrypted", JsonObject.Empty)), ct);
            if (!EncryptedSecret.IsErased(await accountData.GetAsync(name, ct)))
            {
                throw new MigrationException(ExitCodes.No, $"the homeserver still returns an encrypted {name} after it was overwritten; erase it again (keycustody migrate --erase-from-secret-storage) or from Element");
            }

            erased.Add(name);
        }

        return erased;
    }

    public static IEnumerable<string> Notice(string userId, IEnumerable<string> erased)
    {
        yield return $"erased from the secret storage of {userId}: {string.Join(", ", erased)} (each now {{\"encrypted\": {{}}}}); the recovery key or passphrase, its description and every other secret (such as the key backup's key) are unchanged.";
        yield return "any device or client that cached these private keys (an Element session that verified itself with the recovery key, a bot started with it) still holds its copy: sign those sessions out, or reset their crypto storage, to leave no software copy.";
    }
}
