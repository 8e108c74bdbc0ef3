using KeyCustody.Protos.V1;

namespace KeyCustody.Cli.Provisioning;

/// <summary>
/// The command the attestation gate works for (<c>keycustody provision</c> or <c>keycustody migrate</c>): named in the
/// reasons the daemon records, and in what the gate says when it stops: what was not done, and the way out for a key
/// that cannot be built on.
/// </summary>
/// <param name="Command">The command as a person types it, for the daemon's records.</param>
/// <param name="Stopped">How a refusal begins ("provisioning stopped").</param>
/// <param name="NothingBuilt">What a refusal of an existing key, before any change, can promise.</param>
/// <param name="NothingSigned">What a refusal of a key made in this run can promise.</param>
/// <param name="WayOut">For a key and its short name (master, ssk, usk): what to do about it.</param>
internal sealed record GateCeremony(string Command, string Stopped, string NothingBuilt, string NothingSigned, Func<KeyInfo, string, string> WayOut)
{
    public static GateCeremony Provision { get; } = new(
        "keycustody provision",
        "provisioning stopped",
        "Nothing was generated, signed or written",
        "nothing was signed or written",
        (_, shortName) => $"replace it ({(shortName == "master" ? "--rotate master --confirm-new-identity" : "--rotate " + shortName)})");
}
