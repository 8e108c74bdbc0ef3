using KeyCustody.Matrix.Json;

namespace KeyCustody.Cli.Publishing;

/// <summary>
/// POSTs a <c>/keys/signatures/upload</c> body and reports every signed object: accepted, or refused with the
/// homeserver's reason. A 200 answer can still refuse some of them (its <c>failures</c> map).
/// </summary>
internal static class SignaturesPublisher
{
    public const string Endpoint = "_matrix/client/v3/keys/signatures/upload";

    /// <summary>Uploads and writes one line per signed object (or one JSON object) to <paramref name="output"/>; returns the exit code.</summary>
    public static async Task<int> UploadAsync(Homeserver homeserver, ReadOnlyMemory<byte> body, bool json, TextWriter output, TextWriter error, CancellationToken ct)
    {
        var uploaded = CanonicalJson.ParseObject(body.Span);
        var report = JsonObject.Of(("homeserver", homeserver.BaseUri.ToString()));
        List<SignatureResult> results;
        try
        {
            var response = await homeserver.PostAsync(Endpoint, body, ct);
            if (response.Status != 200)
            {
                throw response.Refusal("the homeserver refused the signature upload");
            }

            results = SignatureResults.Read(uploaded, response.Body);
        }
        catch (HomeserverException e)
        {
            if (json)
            {
                output.WriteLine(PublishCommand.Failure(report, e).ToString());
            }

            error.WriteLine("error: " + HomeserverResponse.OneLine(e.Message));
            return e.ExitCode;
        }

        var refused = results.Count(r => !r.Accepted);
        if (json)
        {
            output.WriteLine(report
                .With("ok", refused == 0)
                .With("results", new JsonArray(results.Select(r => (JsonValue)r.ToJson())))
                .ToString());
        }
        else
        {
            foreach (var r in results)
            {
                output.WriteLine(r.Describe());
            }
        }

        if (refused > 0)
        {
            error.WriteLine($"error: the homeserver refused {refused} of {results.Count} signed objects");
            return ExitCodes.No;
        }

        return ExitCodes.Ok;
    }
}
