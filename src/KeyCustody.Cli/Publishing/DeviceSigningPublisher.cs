using System.Security.Cryptography;
using KeyCustody.Matrix.Json;

namespace KeyCustody.Cli.Publishing;

/// <summary>
/// POSTs a <c>/keys/device_signing/upload</c> body and answers the homeserver's user-interactive auth
/// (matrix-signing.md §3.3): a first upload or an identical re-upload goes through without it; replacing keys
/// gets a 401 with a session and flows, answered with the password (<c>m.login.password</c>) or, for
/// OAuth-authenticated accounts, an approval at the account-management URL (<c>m.oauth</c>, unstable
/// <c>org.matrix.cross_signing_reset</c>) and a retry with the session.
/// </summary>
internal static class DeviceSigningPublisher
{
    public const string Endpoint = "_matrix/client/v3/keys/device_signing/upload";

    /// <summary>A person may try a stage three times; the whole exchange is cut off after ten answers.</summary>
    private const int MaxAttempts = 3;
    private const int MaxRounds = 10;

    /// <summary>Uploads <paramref name="body"/> (without <c>auth</c>); returns the auth stages that were needed, in order.</summary>
    public static async Task<IReadOnlyList<string>> PublishAsync(Homeserver homeserver, JsonObject body, string userId, IAuthPrompts prompts, CancellationToken ct)
    {
        var plain = CanonicalJson.Encode(body);
        var response = await homeserver.PostAsync(Endpoint, plain, ct);
        var used = new List<string>();
        string? last = null;
        var attempts = 0;
        for (var round = 0; round < MaxRounds; round++)
        {
            if (response.Status == 200)
            {
                return used;
            }

            if (!UiaChallenge.TryParse(response, out var challenge))
            {
                throw response.Refusal("the homeserver refused the upload");
            }

            var stage = challenge!.NextStage(prompts.HasPasswordFile)
                ?? throw new HomeserverException(
                    ExitCodes.No,
                    $"the homeserver asks for authentication this command cannot give (flows: {HomeserverResponse.OneLine(challenge.DescribeFlows())}); it can give m.login.password and m.oauth",
                    response.Status);

            // The same stage again means the last answer to it was not accepted.
            string? problem = null;
            if (stage == last)
            {
                problem = challenge.ErrCode is null && challenge.Error is null ? "not completed" : HomeserverResponse.Describe(null, challenge.ErrCode, challenge.Error);
                if (++attempts >= MaxAttempts || !prompts.CanRetry(stage))
                {
                    throw new HomeserverException(
                        ExitCodes.No,
                        stage == UiaChallenge.Password
                            ? $"the homeserver did not accept the password of {userId} ({problem})"
                            : $"the homeserver has not recorded the approval to replace the cross-signing keys of {userId} ({problem})",
                        response.Status,
                        challenge.ErrCode);
                }
            }
            else
            {
                attempts = 0;
            }

            last = stage;
            if (!used.Contains(stage))
            {
                used.Add(stage);
            }

            response = await AnswerAsync(homeserver, stage, challenge, plain, userId, problem, prompts, ct);
        }

        throw new HomeserverException(ExitCodes.No, $"the homeserver kept asking for authentication after {MaxRounds} answers", response.Status);
    }

    private static async Task<HomeserverResponse> AnswerAsync(Homeserver homeserver, string stage, UiaChallenge challenge, byte[] plain, string userId, string? problem, IAuthPrompts prompts, CancellationToken ct)
    {
        if (stage == UiaChallenge.Password)
        {
            var password = prompts.ReadPassword(userId, problem);
            byte[]? request = null;
            try
            {
                request = AuthBody.Password(userId, password, challenge.Session, plain);
                CryptographicOperations.ZeroMemory(password);
                return await homeserver.PostAsync(Endpoint, request, ct);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(password);
                if (request is not null)
                {
                    CryptographicOperations.ZeroMemory(request);
                }
            }
        }

        var url = challenge.Url(stage)
            ?? throw new HomeserverException(ExitCodes.No, $"the homeserver asks for approval ({stage}) but gives no URL (params[\"{stage}\"].url)", 401);
        await prompts.WaitForApprovalAsync(userId, url, problem, ct);
        return await homeserver.PostAsync(Endpoint, AuthBody.Session(challenge.Session, plain), ct);
    }
}
