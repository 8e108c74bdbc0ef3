namespace KeyCustody.Cli.Publishing;

/// <summary>
/// Prompts on the terminal (stderr), or answers from <c>--password-file</c> and <c>--wait-seconds</c> for
/// scripts. A typed password is read without echo (<see cref="TerminalPassword"/>) and comes back as bytes the
/// caller zeroes; it is never a string.
/// </summary>
internal sealed class ConsoleAuthPrompts(string? passwordFile, int? waitSeconds, TextWriter prompts) : IAuthPrompts
{
    public bool HasPasswordFile => passwordFile is not null;

    public bool CanRetry(string stage) => stage == UiaChallenge.Password ? passwordFile is null : waitSeconds is null;

    public byte[] ReadPassword(string userId, string? problem)
    {
        if (passwordFile is not null)
        {
            return SecretFile.Read(passwordFile, "--password-file", trimLineEnd: true);
        }

        if (Console.IsInputRedirected)
        {
            throw new HomeserverException(ExitCodes.BadInput, $"the homeserver asks for the password of {userId} to replace its cross-signing keys: run this on a terminal, or give --password-file FILE");
        }

        if (problem is not null)
        {
            prompts.WriteLine($"the homeserver did not accept the password ({problem}); try again");
        }

        return TerminalPassword.Read(prompts, $"password of {userId} (the homeserver asks for it to replace the cross-signing keys): ")
            ?? throw new HomeserverException(ExitCodes.BadInput, $"the homeserver asks for the password of {userId}, and standard input is not a terminal: give --password-file FILE");
    }

    public async Task WaitForApprovalAsync(string userId, string url, string? problem, CancellationToken ct)
    {
        if (url.Any(char.IsControl) || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new HomeserverException(ExitCodes.No, "the homeserver asks for approval at an address that is not an http(s) URL");
        }

        if (problem is not null)
        {
            prompts.WriteLine($"the homeserver has not seen the approval yet ({problem})");
        }

        prompts.WriteLine($"the homeserver asks you to approve replacing the cross-signing keys of {userId} in your account management:");
        prompts.WriteLine("  " + url);
        if (waitSeconds is { } seconds)
        {
            prompts.WriteLine($"trying again in {seconds} s");
            prompts.Flush();
            await Task.Delay(TimeSpan.FromSeconds(seconds), ct);
            return;
        }

        prompts.Write("press Enter once you have approved it: ");
        prompts.Flush();
        var line = await Task.Run(Console.In.ReadLine, ct);
        if (line is null)
        {
            throw new HomeserverException(ExitCodes.BadInput, "the homeserver asks for approval at the URL above, and there is no input to wait on: give --wait-seconds N");
        }
    }
}
