using System.Diagnostics;

namespace KeyCustody.Tokens.Tests.Support;

/// <summary>An independent look at SoftHSM2 objects through OpenSC's pkcs11-tool (another process, another client).</summary>
internal static class SoftHsmInspector
{
    public static bool IsSensitiveAndNeverExtractable(string tokenLabel, string keyLabel)
    {
        var listing = Run("--token-label", tokenLabel, "--login", "--pin", SoftHsm.UserPin, "--list-objects", "--type", "privkey");
        var block = listing.Split("Private Key Object").FirstOrDefault(part => part.Contains($"label:      {keyLabel}\n", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"pkcs11-tool does not list private key {keyLabel}:\n{listing}");
        return block.Contains("EC_EDWARDS", StringComparison.Ordinal)
            && block.Contains("sensitive, always sensitive, never extractable, local", StringComparison.Ordinal);
    }

    private static string Run(params string[] arguments)
    {
        var start = new ProcessStartInfo("pkcs11-tool") { RedirectStandardOutput = true, RedirectStandardError = true };
        SoftHsm.Tokens.AddTo(start);
        start.ArgumentList.Add("--module");
        start.ArgumentList.Add(SoftHsm.Module);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("pkcs11-tool did not start");
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"pkcs11-tool failed: {output}{error.Result}");
    }
}
