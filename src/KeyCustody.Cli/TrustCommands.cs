using System.CommandLine;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Matrix.Trust;

namespace KeyCustody.Cli;

/// <summary><c>keycustody trust check</c>: MSC1756 verdicts for every device of a /keys/query response.</summary>
internal static class TrustCommands
{
    public static Command Build(Option<bool> json)
    {
        var trust = new Command("trust", "cross-signing trust decisions");
        var query = new Option<string>("--query") { Description = "a /keys/query response (JSON file, '-' for stdin)", Required = true };
        var user = new Option<string>("--user") { Description = "the viewing user's ID", Required = true };
        var master = new Option<string>("--master-key") { Description = "the viewing user's trusted master key (unpadded base64)", Required = true };
        var check = new Command("check", "a verdict for every device: trusted, or which link of the chain failed; exit 0 all trusted, 1 some not")
        {
            query, user, master,
        };
        check.SetAction(r =>
        {
            if (!Ed25519PublicKey.TryFromBase64(r.GetValue(master)!, out var masterKey, out var keyError))
            {
                throw new UsageException("--master-key: " + keyError);
            }

            var response = CanonicalJson.ParseObject(CliIo.ReadDocument(r.GetValue(query)));
            var verdicts = TrustEvaluator.Evaluate(response, r.GetValue(user)!, masterKey!);
            using var output = CliIo.OpenOutput();
            if (r.GetValue(json))
            {
                CliIo.WriteLine(output, CanonicalJson.Encode(new JsonArray(verdicts.Select(ToJson))));
            }
            else
            {
                foreach (var v in verdicts)
                {
                    CliIo.WriteLine(output, v.Trusted
                        ? $"{v.UserId} {v.DeviceId} trusted"
                        : $"{v.UserId} {v.DeviceId} untrusted: {Name(v.Failure!.Link)} {Name(v.Failure.Problem)}: {v.Failure.Message}");
                }
            }

            return verdicts.All(v => v.Trusted) ? ExitCodes.Ok : ExitCodes.No;
        });
        trust.Subcommands.Add(check);
        return trust;
    }

    private static JsonObject ToJson(DeviceTrust v)
    {
        var obj = JsonObject.Of(("user_id", v.UserId), ("device_id", v.DeviceId), ("trusted", v.Trusted));
        return v.Failure is null
            ? obj
            : obj.With("link", Name(v.Failure.Link)).With("problem", Name(v.Failure.Problem)).With("reason", v.Failure.Message);
    }

    /// <summary>snake_case of an enum value name, as used in output: OwnMasterKey → own_master_key.</summary>
    private static string Name<T>(T value)
        where T : struct, Enum
    {
        var text = value.ToString();
        var sb = new System.Text.StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsUpper(text[i]) && i > 0)
            {
                sb.Append('_');
            }

            sb.Append(char.ToLowerInvariant(text[i]));
        }

        return sb.ToString();
    }
}
