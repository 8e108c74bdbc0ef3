using KeyCustody.Contract.Audit;
using KeyCustody.Daemon.Keys;
using KeyCustody.Daemon.Requests;
using KeyCustody.Daemon.Security;
using KeyCustody.Daemon.Tokens;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Tokens;

namespace KeyCustody.Daemon.KeyAdmin;

/// <summary>
/// Key generation and import, staged like a signature: admission (the admin right, the key or token named, the policies
/// and the seed as given: a refusal is a decision record), then the shared stages (<see cref="OperationStages"/>:
/// admin_intent, the token's queue, the token, admin_outcome), then the pin follows the new key and its provenance is
/// recorded (generated or imported, by whom).
/// </summary>
public sealed class KeyAdministration(IReadOnlyList<TokenHost> tokens, KeyRegistry keys, AccessRules access, OperationStages stages)
{
    private static readonly Func<RequestEvent, Task> Nobody = _ => Task.CompletedTask;

    public async Task<NewKey> GenerateAsync(NewKeyRequest request, CancellationToken cancellation)
    {
        var call = JsonObject.Of(("operation", "generate_key"), ("principal", request.Caller.ToString()));
        (TokenHost Host, string KeyId, KeyGenerationRequest Generation) admitted;
        try
        {
            RequireAdmin(request.Caller, "generate keys");
            var (host, keyId) = Target(request);
            if (!request.Overwrite)
            {
                RequireNoPinnedKeyLost(host, keyId);
            }

            admitted = (host, keyId, Policies(request, keyId));
        }
        catch (Refusal refusal)
        {
            throw await stages.RefuseAsync(call, refusal).ConfigureAwait(false);
        }

        var (target, slot, generation) = admitted;
        var record = Described(call.With("token", target.Name).With("key_id", slot), generation);
        var work = new NewKeyWork(NewRequestId(), target, record, AuditOutcomes.Generated, (token, ct) => token.GenerateKeyAsync(generation, target.Interaction(null), ct));
        var (generated, recorded) = await stages.RunAsync(work, Nobody, cancellation).ConfigureAwait(false);
        await recorded.ConfigureAwait(false);
        var configured = keys.All.Where(k => k.Token == target && k.Settings.KeyId == slot).ToList();
        foreach (var key in configured)
        {
            // Recorded before the pin moves: the key is then read back, its attestation fetched and checked.
            var publicKey = new Ed25519PublicKey(generated.PublicKey);
            keys.Provenance?.RecordGenerated(key, publicKey, request.Caller.ToString());
            keys.Repin(key, publicKey);
        }

        return new NewKey(generated, configured);
    }

    /// <summary>Imports <paramref name="seed"/> (the caller's buffer, which it wipes) into a configured key's slot.</summary>
    public async Task<NewKey> ImportAsync(NewKeyRequest request, Secret seed, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(seed);
        var call = JsonObject.Of(("operation", "import_key"), ("principal", request.Caller.ToString()));
        (KeyEntry Key, KeyGenerationRequest Import) admitted;
        try
        {
            RequireAdmin(request.Caller, "import keys");
            var key = keys.Find(request.Key) ?? throw Refusal.Of(DaemonErrors.UnknownKey(request.Key));
            if (seed.Length != 32)
            {
                throw Refusal.Of(DaemonErrors.InvalidArgument($"an Ed25519 seed is 32 bytes, not {seed.Length}"));
            }

            admitted = (key, Policies(request, key.Settings.KeyId));
        }
        catch (Refusal refusal)
        {
            throw await stages.RefuseAsync(call, refusal).ConfigureAwait(false);
        }

        var (target, import) = admitted;
        var record = Described(call.With("key", target.Name).With("token", target.Token.Name).With("key_id", target.Settings.KeyId), import);
        var work = new NewKeyWork(NewRequestId(), target.Token, record, AuditOutcomes.Imported, (token, ct) => token.ImportKeyAsync(import, seed, target.Token.Interaction(null), ct));
        var (imported, recorded) = await stages.RunAsync(work, Nobody, cancellation).ConfigureAwait(false);
        await recorded.ConfigureAwait(false);
        var publicKey = new Ed25519PublicKey(imported.PublicKey);
        keys.Provenance?.RecordImported(target, publicKey, request.Caller.ToString());
        keys.Repin(target, publicKey);
        return new NewKey(imported, [target]);
    }

    private void RequireAdmin(Principal caller, string what)
    {
        if (!access.AllowsGlobal(caller, Operations.Admin))
        {
            throw Refusal.Of(DaemonErrors.DeniedAdmin(caller.ToString(), what));
        }
    }

    /// <summary>
    /// A configured key of that slot with a pinned public key its token no longer holds (a simulator card restarted without
    /// its stateFile, a reset or replaced card): the token sees an empty slot and would generate, and the pin would follow
    /// the new key silently. Replacing a key's identity takes --overwrite, as replacing a key on the token does.
    /// </summary>
    private void RequireNoPinnedKeyLost(TokenHost host, string keyId)
    {
        foreach (var key in keys.All.Where(k => k.Token == host && k.Settings.KeyId == keyId))
        {
            keys.Refresh(key);
            if (key.PublicKey is { } pinned && key.Problem is { } problem)
            {
                throw Refusal.Of(DaemonErrors.PinnedKeyReplaced(key.Name, pinned.Base64, host.Name, keyId, problem));
            }
        }
    }

    private (TokenHost Host, string KeyId) Target(NewKeyRequest request)
    {
        if (request.Key.Length > 0)
        {
            var configured = keys.Find(request.Key) ?? throw Refusal.Of(DaemonErrors.UnknownKey(request.Key));
            return (configured.Token, configured.Settings.KeyId);
        }

        var host = tokens.FirstOrDefault(t => t.Name == request.Token) ?? throw Refusal.Of(new DaemonException(DaemonErrorKind.NotFound, $"no token named '{request.Token}'"));
        return (host, request.KeyId);
    }

    private static KeyGenerationRequest Policies(NewKeyRequest request, string keyId) =>
        new(keyId, KeyPolicyNames.ParsePin(request.PinPolicy), KeyPolicyNames.ParseTouch(request.TouchPolicy)) { Overwrite = request.Overwrite };

    private static JsonObject Described(JsonObject record, KeyGenerationRequest request) => record
        .With("pin_policy", request.PinPolicy.ToString().ToLowerInvariant())
        .With("touch_policy", request.TouchPolicy.ToString().ToLowerInvariant())
        .With("overwrite", request.Overwrite);

    private static string NewRequestId() => "r-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
}
