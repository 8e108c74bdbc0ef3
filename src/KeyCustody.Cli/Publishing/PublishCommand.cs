using System.CommandLine;
using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;

namespace KeyCustody.Cli.Publishing;

/// <summary>
/// <c>keycustody publish</c>: puts a user's cross-signing public keys on their homeserver
/// (<c>POST /_matrix/client/v3/keys/device_signing/upload</c>), from a body file or straight from the daemon,
/// answering the homeserver's user-interactive auth when keys are replaced.
/// </summary>
internal static class PublishCommand
{
    public static Command Build(Option<string> socket)
    {
        var homeserver = new HomeserverOptions();
        var body = new Option<string?>("--body") { Description = "the /keys/device_signing/upload body (from keycustody provision or keys public); '-' for standard input" };
        var user = new Option<string?>("--user") { Description = "instead of --body: ask the daemon for this user's upload body" };
        var passwordFile = new Option<string?>("--password-file") { Description = "for scripts: the account password, if the homeserver asks for it (otherwise it is asked on the terminal, without echo)" };
        var wait = new Option<int?>("--wait-seconds") { Description = "for scripts: when the homeserver asks for approval at a URL (m.oauth), wait this long instead of for Enter" };
        var cmd = new Command("publish", "upload a user's cross-signing public keys to their homeserver (POST /keys/device_signing/upload)")
        {
            body, user, passwordFile, wait,
        };
        homeserver.AddTo(cmd);
        cmd.SetAction(async (r, ct) =>
        {
            if ((r.GetValue(body) is null) == (r.GetValue(user) is null))
            {
                throw new UsageException("give exactly one of --body FILE and --user ID");
            }

            if (r.GetValue(wait) is < 0 or > 3600)
            {
                throw new UsageException("--wait-seconds must be between 0 and 3600");
            }

            if (r.GetValue(passwordFile) is { } pf)
            {
                SecretFile.Check(pf, "--password-file");
            }

            using var hs = homeserver.Open(r);
            var (upload, userId, keys) = await ReadBodyAsync(r.GetValue(body), r.GetValue(user), DaemonSocket.Chosen(r, socket), ct);
            var prompts = new ConsoleAuthPrompts(r.GetValue(passwordFile), r.GetValue(wait), Console.Error);
            var asJson = JsonFlag.Wanted(r);
            try
            {
                var stages = await DeviceSigningPublisher.PublishAsync(hs, upload, userId, prompts, ct);
                var described = string.Join(", ", keys.Select(k => $"{k.Key.Usage.Describe()} {k.Key.PublicKey.Base64}"));
                Console.Out.WriteLine(asJson
                    ? Report(hs, userId, keys).With("ok", true).With("authentication", new JsonArray(stages.Select(s => (JsonValue)s))).ToString()
                    : $"published the cross-signing keys of {userId} to {hs.BaseUri}: {described}" + (stages.Count > 0 ? $" (authenticated with {string.Join(", ", stages)})" : string.Empty));
                return ExitCodes.Ok;
            }
            catch (HomeserverException e)
            {
                if (asJson && e.ExitCode != ExitCodes.BadInput)
                {
                    Console.Out.WriteLine(Failure(Report(hs, userId, keys), e).ToString());
                }

                Console.Error.WriteLine("error: " + HomeserverResponse.OneLine(e.Message));
                return e.ExitCode;
            }
        });
        return cmd;
    }

    /// <summary><c>"ok": false</c> and what went wrong, added to <paramref name="report"/>.</summary>
    internal static JsonObject Failure(JsonObject report, HomeserverException e)
    {
        report = report.With("ok", false).With("error", HomeserverResponse.OneLine(e.Message));
        if (e.HttpStatus is { } status)
        {
            report = report.With("http_status", status);
        }

        return e.ErrCode is { } code ? report.With("errcode", code) : report;
    }

    private static JsonObject Report(Homeserver hs, string userId, IReadOnlyList<(string Member, CrossSigningKey Key)> keys) => JsonObject.Of(
        ("homeserver", hs.BaseUri.ToString()),
        ("user_id", userId),
        ("keys", new JsonObject(keys.Select(k => new KeyValuePair<string, JsonValue>(k.Member, k.Key.PublicKey.Base64)))));

    private static async Task<(JsonObject Body, string UserId, IReadOnlyList<(string Member, CrossSigningKey Key)> Keys)> ReadBodyAsync(string? file, string? user, string socket, CancellationToken ct)
    {
        JsonObject body;
        if (file is not null)
        {
            body = CanonicalJson.ParseObject(CliIo.ReadDocument(file));
        }
        else
        {
            using var client = DaemonSocket.Connect(socket);
            var response = await client.GetPublicKeysAsync(user!, ct);
            if (response.Missing.Count > 0 || response.DeviceSigningUpload.IsEmpty)
            {
                throw new UsageException($"the daemon has no complete upload body for {user}: {string.Join("; ", response.Missing)}");
            }

            body = CanonicalJson.ParseObject(response.DeviceSigningUpload.Span);
        }

        var (userId, keys) = UploadBody.Check(body);
        if (user is not null && userId != user)
        {
            throw new UsageException($"the daemon's upload body is for {userId}, not {user}");
        }

        return (body, userId, keys);
    }
}
