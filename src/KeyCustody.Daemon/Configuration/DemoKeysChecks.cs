using KeyCustody.Daemon.Security;
using KeyCustody.Matrix.Policy;

namespace KeyCustody.Daemon.Configuration;

/// <summary>
/// Simulator tokens with <c>demoKeys</c> have their keys generated, and the master key sign the others, at start,
/// before the socket listens: nobody can touch, approve or be asked then. A configuration that would make that wait
/// (for an approval, a manual touch) or be refused (no sign right) is one clear error here instead of a start that
/// hangs or ends with exit 1.
/// </summary>
internal static class DemoKeysChecks
{
    public static void Check(DaemonConfig c, IReadOnlyList<TokenSettings> tokens, IReadOnlyList<KeySettings> keys, AccessRules access, Action<string, string> fail)
    {
        var demo = tokens.Where(t => t.DemoKeys).ToList();

        // The bootstrap signs as the daemon's own user (SimulatorBootstrap), through the access rules like any caller.
        var self = Principal.FromPeer(Posix.EffectiveUid, Posix.EffectiveGid, Environment.ProcessId);
        foreach (var master in keys.Where(k => k.Role == KeyRole.Master && demo.Any(t => t.Name == k.Token)))
        {
            if (!keys.Any(k => k.Owner == master.Owner && k.Role is KeyRole.SelfSigning or KeyRole.UserSigning))
            {
                continue;
            }

            // The demo master key is made with touch always: its card must touch by itself.
            var token = demo.First(t => t.Name == master.Token);
            if (token.Touch != "auto")
            {
                fail($"tokens[{c.Tokens.FindIndex(t => t.Name == token.Name)}].touch",
                    $"'{token.Touch}' with demoKeys: the master key '{master.Name}' signs the demo keys at start, before anyone could touch '{token.Name}'; use touch auto, or leave demoKeys off and run `keycustody provision`");
            }

            var at = $"keys[{c.Keys.FindIndex(k => k.Name == master.Name)}]";
            if (master.RequireApprover is not null)
            {
                fail($"{at}.requireApprover", $"the master key '{master.Name}' signs the demo keys at start, before anyone can approve; remove requireApprover, or demoKeys from token '{master.Token}'");
            }
            else if (master.Presence == PresenceMode.Operator)
            {
                fail($"{at}.presence", $"the master key '{master.Name}' signs the demo keys at start, before an operator can approve; use presence auto, or remove demoKeys from token '{master.Token}'");
            }

            if (!access.Allows(self, master.Name, Operations.Sign))
            {
                var uid = $"uid:{Posix.EffectiveUid}";
                fail(at, $"the master key '{master.Name}' signs the demo keys at start as keycustodyd's own user ({uid}), and no access rule lets {uid} sign with it; add {{\"principal\": \"{uid}\", \"keys\": [\"{master.Name}\"], \"operations\": [\"sign\"]}} to access, or remove demoKeys from token '{master.Token}'");
            }
        }
    }
}
