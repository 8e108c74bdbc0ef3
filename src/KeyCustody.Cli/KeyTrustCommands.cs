using System.CommandLine;
using KeyCustody.Matrix.Json;
using KeyCustody.Protos.V1;

namespace KeyCustody.Cli;

/// <summary>
/// <c>keys accept</c> and <c>keys reject</c>: an admin's decision about one public key of a configured key, recorded
/// and audited by the daemon; and how <c>keys list</c> says what the daemon knows of a key's origin.
/// </summary>
internal static class KeyTrustCommands
{
    public static IEnumerable<Command> Build(Option<string> socket, Option<bool> json)
    {
        yield return Decision(socket, json, accept: true);
        yield return Decision(socket, json, accept: false);
    }

    /// <summary>One column for <c>keys list</c>: origin, the daemon's attestation check, and whether the key may sign.</summary>
    public static string Summary(KeyProvenance? p) => p is null
        ? "provenance=unknown"
        : $"provenance={p.Origin},{p.Attestation}{(p.Accepted is null ? string.Empty : ",accepted")}{(p.Rejected is null ? string.Empty : ",rejected")}\t" +
          (p.Trusted ? "trusted" : "UNTRUSTED: " + p.UntrustedReason);

    /// <summary>The provenance as JSON for <c>keys list --json</c>.</summary>
    public static JsonObject ToJson(KeyProvenance? p)
    {
        if (p is null)
        {
            return JsonObject.Empty;
        }

        var json = JsonOut.Object(("origin", p.Origin), ("by", p.By), ("at", p.At), ("attestation", p.Attestation), ("attestation_detail", p.AttestationDetail),
            ("attestation_root", p.AttestationRoot), ("attestation_root_sha256", p.AttestationRootSha256), ("certificate_sha256", p.CertificateSha256),
            ("trusted", p.Trusted), ("untrusted_reason", p.UntrustedReason));
        if (p.Accepted is { } a)
        {
            json = json.With("accepted", JsonOut.Object(("by", a.By), ("at", a.At), ("reason", a.Reason)));
        }

        return p.Rejected is { } r ? json.With("rejected", JsonOut.Object(("by", r.By), ("at", r.At), ("reason", r.Reason))) : json;
    }

    private static Command Decision(Option<string> socket, Option<bool> json, bool accept)
    {
        var name = new Argument<string>("KEY") { Description = "the configured key's name" };
        var publicKey = new Option<string>("--public-key") { Description = "the key's public key as `keys list` shows it: the decision is about that key only", Required = true };
        var reason = new Option<string>("--reason") { Description = "why; recorded in the audit log and shown by `keys list`", Required = true };
        var command = accept
            ? new Command("accept", "accept a cross-signing key that is not attested (imported, or on a token that cannot attest) so it may sign; audited") { name, publicKey, reason }
            : new Command("reject", "reject a key (for example, its attestation failed your check): it signs nothing until replaced; audited") { name, publicKey, reason };
        command.SetAction(async (r, ct) =>
        {
            using var client = DaemonSocket.Connect(DaemonSocket.Chosen(r, socket));
            var request = new KeyDecisionRequest { Key = r.GetValue(name)!, PublicKey = r.GetValue(publicKey)!, Reason = r.GetValue(reason)! };
            var response = accept
                ? await client.Admin.AcceptKeyAsync(request, cancellationToken: ct)
                : await client.Admin.RejectKeyAsync(request, cancellationToken: ct);
            if (r.GetValue(json))
            {
                return JsonOut.Write(ToJson(response.Provenance));
            }

            Console.Out.WriteLine($"{request.Key}\t{Summary(response.Provenance)}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
