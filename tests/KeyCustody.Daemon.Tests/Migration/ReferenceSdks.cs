using System.Text.Json.Nodes;
using KeyCustody.Tests.Shared;

namespace KeyCustody.Daemon.Tests.Migration;

/// <summary>Element's SDKs under Node.js (tests/js): installed with npm ci on first use, then run as scripts.</summary>
internal static class ReferenceSdks
{
    private static readonly Lazy<string> Installed = new(() =>
    {
        var dir = Path.Combine(TestPaths.RepoRoot, "tests", "js");
        var (exit, output) = ChildProcess.Run("bash", [Path.Combine(dir, "ensure.sh")]);
        return exit == 0 ? dir : throw new InvalidOperationException("installing the reference SDKs failed: " + output);
    });

    /// <summary>Runs <c>node SCRIPT args</c> in tests/js; its standard output is JSON.</summary>
    public static JsonObject Run(string script, params string[] args)
    {
        var dir = Installed.Value;
        var (exit, output) = ChildProcess.Run("node", [Path.Combine(dir, script), .. args], start => start.WorkingDirectory = dir);
        if (exit != 0)
        {
            throw new InvalidOperationException($"node {script} failed ({exit}): {output}");
        }

        // Standard output first, then standard error (ChildProcess): the JSON document is the first thing printed.
        var end = output.LastIndexOf('}');
        return JsonNode.Parse(output[..(end + 1)])!.AsObject();
    }
}
