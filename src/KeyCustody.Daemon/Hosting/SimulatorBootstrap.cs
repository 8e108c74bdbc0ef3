using KeyCustody.Daemon.Keys;
using KeyCustody.Daemon.Security;
using KeyCustody.Daemon.Signing;
using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Policy;
using KeyCustody.Tokens;

namespace KeyCustody.Daemon.Hosting;

/// <summary>
/// First start of the embedded default (simulator tokens with demoKeys): generates the demo keys on the simulated card (master: PIN
/// always + touch always; self-signing and user-signing: touch always, as for every key whose signatures need a person;
/// touch cached is an operator's explicit choice, see docs/threat-model.md) and has the master
/// key sign the self-signing and user-signing key objects through the normal pipeline, so the audit
/// log shows it and GetPublicKeys has an upload body.
/// </summary>
public sealed partial class SimulatorBootstrap(KeyRegistry keys, SigningPipeline pipeline, IdentityStore identities, ILogger<SimulatorBootstrap> log)
{
    private static readonly Dictionary<string, (PinPolicy Pin, TouchPolicy Touch)> Policies = new(StringComparer.Ordinal)
    {
        ["9c"] = (PinPolicy.Always, TouchPolicy.Always),
        ["9a"] = (PinPolicy.Never, TouchPolicy.Always),
        ["9d"] = (PinPolicy.Never, TouchPolicy.Always),
    };

    public async Task RunAsync(CancellationToken cancellation)
    {
        foreach (var key in keys.All.Where(k => k.Token.Settings.DemoKeys))
        {
            if (key.Problem is null)
            {
                continue;
            }

            var (pin, touch) = Policies.GetValueOrDefault(key.Settings.KeyId, (PinPolicy.Never, TouchPolicy.Always));
            var generated = await key.Token.UseAsync(
                async token => token.ListKeys(cancellation).Any(k => k.Id == key.Settings.KeyId)
                    ? null
                    : await token.GenerateKeyAsync(new KeyGenerationRequest(key.Settings.KeyId, pin, touch), key.Token.Interaction(null), cancellation).ConfigureAwait(false),
                null,
                cancellation).ConfigureAwait(false);
            if (generated is null)
            {
                continue;
            }

            LogGenerated(key.Name, key.Settings.KeyId, key.Token.Serial);
            keys.Provenance?.RecordGenerated(key, new Matrix.Signing.Ed25519PublicKey(generated.PublicKey), "keycustodyd (simulator demo keys)");
            keys.Refresh(key);
        }

        var self = Principal.FromPeer(Configuration.Posix.EffectiveUid, Configuration.Posix.EffectiveGid, Environment.ProcessId);
        foreach (var master in keys.All.Where(k => k.Settings.Role == Matrix.Policy.KeyRole.Master && k.Token.Settings.DemoKeys && k.Problem is null))
        {
            var user = master.Settings.Owner;
            foreach (var usage in new[] { KeyUsage.SelfSigning, KeyUsage.UserSigning })
            {
                var sub = keys.All.FirstOrDefault(k => k.Settings.Owner == user && k.Settings.Role == usage.ToRole() && k.PublicKey is not null);
                if (sub is null || identities.Get(user, usage) is { } known && known.PublicKey.Equals(sub.PublicKey))
                {
                    continue;
                }

                var obj = CanonicalJson.Encode(CrossSigningKey.Create(user, usage, sub.PublicKey!).Json);
                await pipeline.RunAsync(new SignRequest(self, master.Name, [obj], SignOperation.SignJson), _ => Task.CompletedTask, cancellation).ConfigureAwait(false);
                var what = usage.Describe();
                LogSigned(what, user);
            }
        }
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Simulator: generated demo key {Key} in slot {Slot} of card {Serial}")]
    private partial void LogGenerated(string key, string slot, string serial);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "Simulator: the master key signed the {Usage} of {User}")]
    private partial void LogSigned(string usage, string user);
}
