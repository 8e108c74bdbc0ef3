using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace KeyCustody.Cli.Publishing;

/// <summary>
/// Prompts on the terminal (stderr), or answers from <c>--password-file</c> and <c>--wait-seconds</c> for
/// scripts. A typed password is read key by key without echo into a char buffer that is zeroed, and comes
/// back as bytes the caller zeroes; it is never a string.
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

        prompts.Write($"password of {userId} (the homeserver asks for it to replace the cross-signing keys): ");
        prompts.Flush();
        var password = ReadWithoutEcho();
        prompts.WriteLine();
        return password;
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

    /// <summary>Keys until Enter, without echo; Backspace deletes. The buffers are zeroed whatever happens.</summary>
    private static byte[] ReadWithoutEcho()
    {
        var chars = new char[64];
        var length = 0;
        try
        {
            while (true)
            {
                var key = Console.ReadKey(intercept: true);
                if (key.Key == ConsoleKey.Enter)
                {
                    break;
                }

                if (key.Key == ConsoleKey.Backspace)
                {
                    if (length > 0)
                    {
                        chars[--length] = '\0';
                    }

                    continue;
                }

                if (key.KeyChar == '\0' || char.IsControl(key.KeyChar))
                {
                    continue;
                }

                if (length == chars.Length)
                {
                    var bigger = new char[chars.Length * 2];
                    chars.AsSpan().CopyTo(bigger);
                    Zero(chars);
                    chars = bigger;
                }

                chars[length++] = key.KeyChar;
            }

            var bytes = new byte[Encoding.UTF8.GetByteCount(chars, 0, length)];
            Encoding.UTF8.GetBytes(chars, 0, length, bytes, 0);
            return bytes;
        }
        finally
        {
            Zero(chars);
        }
    }

    private static void Zero(char[] chars) => CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(chars.AsSpan()));
}
